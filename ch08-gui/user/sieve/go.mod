module sieve

go 1.19
