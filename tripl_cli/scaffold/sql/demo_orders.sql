-- raw.orders from demo_cells. Parameters: $seed, $users (size of the customer pool).
CREATE OR REPLACE TABLE raw.orders AS
WITH counts AS (
    SELECT
        c.*,
        -- Poisson-like noise: normal with variance equal to the mean.
        CAST(greatest(0, round(
            c.orders_per_hour * c.shape * c.incident
            + sqrt(c.orders_per_hour * c.shape * c.incident)
            * demo_normal($seed, c.hour_idx, c.pid, 0, 1)
        )) AS BIGINT) AS n
    FROM demo_cells AS c
),
rows AS (
    SELECT
        counts.*,
        r.i,
        demo_uniform($seed, counts.hour_idx, counts.pid, r.i, 2) AS u_time,
        demo_uniform($seed, counts.hour_idx, counts.pid, r.i, 3) AS u_user,
        demo_normal($seed, counts.hour_idx, counts.pid, r.i, 4) AS z_amount,
        demo_uniform($seed, counts.hour_idx, counts.pid, r.i, 5) AS u_status,
        demo_uniform($seed, counts.hour_idx, counts.pid, r.i, 6) AS u_country,
        demo_uniform($seed, counts.hour_idx, counts.pid, r.i, 7) AS u_version
    FROM counts, range(counts.n) AS r (i)
)
SELECT
    hour_start + to_microseconds(CAST(floor(u_time * 3600000000) AS BIGINT)) AS created_at,
    hour_idx * 100000 + pid * 10000 + i AS order_id,
    -- Squaring skews the pool: a core of frequent buyers and a long tail.
    1 + CAST(floor($users * u_user * u_user) AS BIGINT) AS user_id,
    CAST(least(exp(3.55 + 0.75 * z_amount) * basket, 2500) AS DECIMAL(10, 2)) AS amount,
    CASE
        WHEN u_status < 0.90 THEN 'completed'
        WHEN u_status < 0.96 THEN 'cancelled'
        ELSE 'refunded'
    END AS status,
    demo_country(u_country) AS country,
    platform,
    CASE
        WHEN platform = 'web' THEN NULL
        ELSE '4.' || CAST(release_no - CAST(floor(3 * u_version * u_version) AS BIGINT) AS VARCHAR) || '.0'
    END AS app_version
FROM rows
ORDER BY created_at, order_id
