module goclock

go 1.19
