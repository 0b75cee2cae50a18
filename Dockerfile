# The bank's PostgreSQL: the same major version the tests run (Debian 12's PostgreSQL 15).
FROM postgres:15
# A demo: passwordless. setup.sh publishes the port on 127.0.0.1 only.
ENV POSTGRES_HOST_AUTH_METHOD=trust POSTGRES_DB=bank
# The entrypoint loads these, in name order, at the container's first start.
COPY db/init.sql db/procedures.sql /docker-entrypoint-initdb.d/
