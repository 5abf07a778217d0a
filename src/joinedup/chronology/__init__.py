"""The multi-agency chronology: every record of a linked person, in date order, with who knew what when."""
