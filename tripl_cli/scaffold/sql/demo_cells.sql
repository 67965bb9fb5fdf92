-- The demo's hourly "cells": one row per (hour, platform) with its expected volumes.
-- Parameters: $start, $end (naive UTC TIMESTAMPs, whole hours), $incident_start,
-- $incident_end, $incident_platform, $incident_factor, $growth, $hod_curve (24 weights,
-- mean 1, UTC hour of day), $dow_curve (7 weights, ISO Monday = 1), $daily_orders,
-- $daily_sessions.
CREATE OR REPLACE TEMP TABLE demo_cells AS
WITH hours AS (
    SELECT
        h AS hour_start,
        CAST(epoch(h) AS BIGINT) // 3600 AS hour_idx,
        hour(h) AS hod,
        isodow(h) AS dow,
        -- 0 at the first hour, 1 at the last: a mild linear growth over the window.
        date_diff('hour', $start::TIMESTAMP, h) / greatest(date_diff('hour', $start::TIMESTAMP, $end::TIMESTAMP), 1) AS progress,
        -- A new app release every 14 days; users update over the following weeks.
        CAST(epoch(h) AS BIGINT) // 86400 // 14 - 1400 AS release_no
    FROM range($start::TIMESTAMP, $end::TIMESTAMP, INTERVAL 1 HOUR) AS t (h)
),
platforms AS (
    -- pid, platform, share of orders, share of sessions, conversion, basket size factor
    SELECT * FROM (VALUES
        (1, 'ios', 0.40, 0.36, 0.185, 1.12),
        (2, 'android', 0.35, 0.40, 0.145, 0.92),
        (3, 'web', 0.25, 0.24, 0.170, 1.00)
    ) AS p (pid, platform, order_share, session_share, conversion, basket)
)
SELECT
    hours.hour_start,
    hours.hour_idx,
    hours.release_no,
    p.pid,
    p.platform,
    p.conversion,
    p.basket,
    $hod_curve[hours.hod + 1] * $dow_curve[hours.dow] * (1 + $growth * hours.progress) AS shape,
    CASE
        WHEN p.platform = $incident_platform
            AND hours.hour_start >= $incident_start::TIMESTAMP
            AND hours.hour_start < $incident_end::TIMESTAMP
        THEN $incident_factor
        ELSE 1.0
    END AS incident,
    $daily_orders / 24.0 * p.order_share AS orders_per_hour,
    $daily_sessions / 24.0 * p.session_share AS sessions_per_hour
FROM hours CROSS JOIN platforms AS p
