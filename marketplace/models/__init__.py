"""Models of the shared core. One module per concern; import from marketplace.models."""

from .accounts import User
from .deals import ContractParty, ContractRegistration, Deal, DealPayment, RegistrationSequence
from .evaluation import Assignment, Criterion, EvaluationRound, EvaluationSubject, ExpertProfile, Score, ScoreComment
from .files import PrivateFile
from .mail import OutgoingMail
from .matching import Match, MatchFeedback, TermStatistic
from .messages import Message
from .notifications import Notification
from .organizations import JoinRequest, Membership, Organization
from .partners import IdempotencyKey, PartnerApplication, Tombstone, WebhookDelivery, WebhookEndpoint
from .search import Favourite, SavedSearch, SavedSearchHit, SearchDocument, SearchDocumentField, Synonym
from .statistics import TargetMetric, YearlyTarget
from .taxonomy import IndustryField, Region
from .transitions import TransitionLog

__all__ = [
    "Assignment",
    "ContractParty",
    "ContractRegistration",
    "Criterion",
    "Deal",
    "DealPayment",
    "EvaluationRound",
    "EvaluationSubject",
    "ExpertProfile",
    "Favourite",
    "IdempotencyKey",
    "IndustryField",
    "JoinRequest",
    "Match",
    "MatchFeedback",
    "Membership",
    "Message",
    "Notification",
    "Organization",
    "OutgoingMail",
    "PartnerApplication",
    "PrivateFile",
    "Region",
    "RegistrationSequence",
    "SavedSearch",
    "SavedSearchHit",
    "Score",
    "ScoreComment",
    "SearchDocument",
    "SearchDocumentField",
    "Synonym",
    "TargetMetric",
    "TermStatistic",
    "Tombstone",
    "TransitionLog",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "YearlyTarget",
]
