"""The platform as local processes: the service list (`processes.py`) that the demo, the end-to-end test and
the loop benchmark start, and the supervisor (`supervisor.py`) that starts and stops them."""
