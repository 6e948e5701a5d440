"""The trained reader: a small transformer that picks answer spans in passages, with a no-answer option."""
