// fib.js: a script for mujs (run /bin/mujs /etc/fib.js); prints fib(20) = 6765.
function fib(n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
print("fib(20) = " + fib(20));
