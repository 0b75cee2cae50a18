module timeout

go 1.22
