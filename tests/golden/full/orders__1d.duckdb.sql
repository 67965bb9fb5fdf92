WITH src AS (
  SELECT
    created_at,
    order_id,
    user_id,
    amount,
    status,
    country,
    platform,
    is_test
  FROM orders
), tripl_main AS (
  SELECT
    bucket,
    COALESCE(SUM(CASE WHEN (
      tripl_mask & 3
    ) = 3 THEN tripl_p0 END), 0) AS a0,
    COALESCE(SUM(CASE WHEN (
      tripl_mask & 4
    ) = 4 THEN tripl_p0 END), 0) AS a2,
    COALESCE(SUM(CASE WHEN (
      tripl_mask & 248
    ) = 248 THEN tripl_p0 END), 0) AS a3,
    SUM(CASE WHEN (
      tripl_mask & 4
    ) = 4 THEN tripl_p1 END) AS a4
  FROM (
    SELECT
      MAKE_TIMESTAMP(
        EPOCH_US(created_at) - (
          EPOCH_US(created_at) % 86400000000 + 86400000000
        ) % 86400000000
      ) AS bucket,
      CASE WHEN is_test = FALSE THEN 1 ELSE 0 END + CASE WHEN NOT (
        status IN ('cancelled', 'fraud')
      ) THEN 2 ELSE 0 END + CASE WHEN status = 'completed' THEN 4 ELSE 0 END + CASE WHEN country = 'US' THEN 8 ELSE 0 END + CASE WHEN (
        amount >= 100 AND amount <> CAST('NaN' AS DOUBLE)
      ) THEN 16 ELSE 0 END + CASE WHEN NOT (
        platform LIKE 'test%' ESCAPE '\'
      ) THEN 32 ELSE 0 END + CASE WHEN NOT (
        STRPOS(order_id, '-dup') > 0
      ) THEN 64 ELSE 0 END + CASE WHEN NOT (
        status IS NULL
      ) THEN 128 ELSE 0 END AS tripl_mask,
      COUNT(*) AS tripl_p0,
      SUM(amount) AS tripl_p1
    FROM src
    WHERE
      created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
      AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
    GROUP BY
      1,
      2
  ) AS tripl_cube
  GROUP BY
    1
), tripl_distinct_0 AS (
  SELECT
    bucket,
    COUNT(CASE WHEN (
      tripl_f0 & 1
    ) <> 0 THEN 1 END) AS a1
  FROM (
    SELECT
      MAKE_TIMESTAMP(
        EPOCH_US(created_at) - (
          EPOCH_US(created_at) % 86400000000 + 86400000000
        ) % 86400000000
      ) AS bucket,
      user_id AS tripl_value,
      BIT_OR(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS tripl_f0
    FROM src
    WHERE
      (
        created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
        AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
      )
      AND NOT user_id IS NULL
    GROUP BY
      1,
      2
  ) AS tripl_flags
  GROUP BY
    1
)
SELECT
  tripl_main.bucket AS bucket,
  tripl_main.a0 AS a0,
  tripl_distinct_0.a1 AS a1,
  tripl_main.a2 AS a2,
  tripl_main.a3 AS a3,
  tripl_main.a4 AS a4
FROM tripl_main
LEFT JOIN tripl_distinct_0
  ON tripl_main.bucket = tripl_distinct_0.bucket
ORDER BY
  1
