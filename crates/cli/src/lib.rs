//! The offboard command-line tool: demo, local, verify, report, plan.
