"""Networks: offender groups across forces and decades (docs/network.md)."""
