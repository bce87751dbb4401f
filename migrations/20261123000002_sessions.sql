-- Sessions, shared by every server process: the table tower-sessions' Postgres store
-- (tower-sessions-sqlx-store) reads and writes. `data` is MessagePack.
CREATE TABLE sessions (
    id          text PRIMARY KEY,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
-- For the periodic deletion of expired sessions.
CREATE INDEX sessions_expiry ON sessions (expiry_date);
