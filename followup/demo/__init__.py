"""The demo: a month of the 9 March 2021 Móng Cái working session, on a simulated clock."""
