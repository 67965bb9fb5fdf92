"""Layer 2: Project + window → time-bucketed, multi-aggregate SQL per dialect.

`plan.compile_plan` is the entry point; `assemble.assemble` turns query results back into
`MetricValue`s; `dialects` owns every per-dialect quirk. See docs/compiler.md.
"""
