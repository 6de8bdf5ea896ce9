"""Judgments as several domains read them (queue, exports, quality, reviews, pages)."""
