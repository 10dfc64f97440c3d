//! offboard's use cases: intake, scheduling, planning, steps, evidence and compliance queries, over the core's ports.
