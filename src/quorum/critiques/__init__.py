"""AI critiques: a critic model's comments on candidate responses, served to a random share of assignments
(``core/assistance.py``), their fates kept with each judgment, and the planted-flaw recall they buy."""
