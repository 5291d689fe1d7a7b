module gohttpd

go 1.19
