"""Sentiment of social text with VADER: a compound score in [-1, 1] and a label."""
from dataclasses import dataclass
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# The thresholds the VADER authors recommend for a three-way label.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05


@dataclass(frozen=True)
class Sentiment:
    """A compound score and its label (positive, neutral or negative)."""

    score: float
    label: str


@lru_cache(maxsize=1)
def _analyzer():
    return SentimentIntensityAnalyzer()


def label_for(score: float) -> str:
    """The three-way label for a compound score."""
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def score(text: str) -> Sentiment:
    """Score `text`; empty text is neutral."""
    compound = _analyzer().polarity_scores(text)["compound"] if text.strip() else 0.0
    return Sentiment(score=round(compound, 4), label=label_for(compound))
