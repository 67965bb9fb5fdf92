-- Seeded, order-independent pseudo-random numbers in (0, 1]: a hash of the row's key, so
-- the same (seed, key) always yields the same value, whatever the thread count or row order.
-- The key is packed into ONE integer before hashing: DuckDB's multi-argument hash() only
-- XORs in its last argument, which would make the "independent" draws of a row correlated.
-- Bits: seed | hour (20) | platform (2) | row in the hour (14) | salt (6, below 32).
CREATE OR REPLACE TEMP MACRO demo_uniform(seed, hour_idx, pid, i, salt) AS
    (CAST(hash(((((CAST(seed AS BIGINT) * 1048576 + hour_idx) * 4 + pid) * 16384 + i) * 64 + salt))
        AS DOUBLE) + 1.0) / 18446744073709551617.0;
-- A standard normal variate (Box-Muller over two uniforms of the same key).
CREATE OR REPLACE TEMP MACRO demo_normal(seed, hour_idx, pid, i, salt) AS
    sqrt(-2.0 * ln(demo_uniform(seed, hour_idx, pid, i, salt)))
    * cos(2.0 * pi() * demo_uniform(seed, hour_idx, pid, i, salt + 32));
-- A skewed country mix (about 3% unknown, left NULL as real data has it).
CREATE OR REPLACE TEMP MACRO demo_country(u) AS
    CASE
        WHEN u < 0.30 THEN 'US'
        WHEN u < 0.42 THEN 'DE'
        WHEN u < 0.52 THEN 'GB'
        WHEN u < 0.62 THEN 'IN'
        WHEN u < 0.71 THEN 'BR'
        WHEN u < 0.79 THEN 'FR'
        WHEN u < 0.85 THEN 'JP'
        WHEN u < 0.90 THEN 'CA'
        WHEN u < 0.93 THEN 'AU'
        WHEN u < 0.95 THEN 'ES'
        WHEN u < 0.97 THEN 'MX'
        ELSE NULL
    END;
