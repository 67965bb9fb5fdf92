-- raw.sessions from demo_cells. Parameters: $seed, $users.
-- The incident breaks checkout, not the app: sessions keep coming, conversion drops.
CREATE OR REPLACE TABLE raw.sessions AS
WITH counts AS (
    SELECT
        c.*,
        CAST(greatest(0, round(
            c.sessions_per_hour * c.shape
            + sqrt(c.sessions_per_hour * c.shape)
            * demo_normal($seed, c.hour_idx, c.pid, 0, 11)
        )) AS BIGINT) AS n
    FROM demo_cells AS c
),
rows AS (
    SELECT
        counts.*,
        r.i,
        demo_uniform($seed, counts.hour_idx, counts.pid, r.i, 12) AS u_time,
        demo_uniform($seed, counts.hour_idx, counts.pid, r.i, 13) AS u_user,
        demo_uniform($seed, counts.hour_idx, counts.pid, r.i, 14) AS u_country,
        demo_uniform($seed, counts.hour_idx, counts.pid, r.i, 15) AS u_converted
    FROM counts, range(counts.n) AS r (i)
)
SELECT
    hour_start + to_microseconds(CAST(floor(u_time * 3600000000) AS BIGINT)) AS started_at,
    hour_idx * 100000 + pid * 10000 + i AS session_id,
    1 + CAST(floor($users * u_user * u_user) AS BIGINT) AS user_id,
    platform,
    demo_country(u_country) AS country,
    u_converted < conversion * incident AS converted
FROM rows
ORDER BY started_at, session_id
