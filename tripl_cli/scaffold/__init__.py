"""`tripl init`: the project scaffold and the demo warehouse (no CLI code here)."""

from tripl_cli.scaffold.demo_data import (
    DemoIncident,
    DemoWarehouse,
    demo_as_of,
    demo_incident,
    generate_demo_warehouse,
)
from tripl_cli.scaffold.init import InitResult, init_project, project_name_for

__all__ = [
    "DemoIncident",
    "DemoWarehouse",
    "InitResult",
    "demo_as_of",
    "demo_incident",
    "generate_demo_warehouse",
    "init_project",
    "project_name_for",
]
