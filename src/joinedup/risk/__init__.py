"""Children at risk: indicators with evidence from the linked warehouse, a published score, the review queue."""
