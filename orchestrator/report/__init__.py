"""Reports: plan text, PR comment, drift report; redaction and size budget."""
