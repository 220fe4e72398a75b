"""Categories, accounts (doctors and admins) and login attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, created_at_column, updated_at_column
from db.enums import AccountRole, DoctorStatus
from db.models._types import checked_enum

# Public doctor ids (MMD-<n>) come from their own sequence so a number is never
# reused, even when an activation's transaction rolls back.
doctor_public_number_seq = Sequence("doctor_public_number_seq", metadata=Base.metadata)

# 64 hex digits from two version-4 UUIDs: 244 random bits from PostgreSQL's strong
# random source (gen_random_uuid is built in, no extension needed). Rotation writes
# secrets.token_hex(32) instead, the same shape.
CALENDAR_FEED_TOKEN_DEFAULT = text(
    "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')"
)


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (
        Index("uq_categories_name_lower", text("lower(name)"), unique=True),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class CategoryRecord(Protocol):
    """What reading a category needs: satisfied by a Category and by a row of its columns."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...


class Account(Base):
    """A person who logs in: a doctor (with a public profile) or an admin."""

    __tablename__ = "accounts"
    __table_args__ = (
        Index("uq_accounts_email_lower", text("lower(email)"), unique=True),
        # Public listings: active doctors in the directory's name order (lower(name),
        # id), so a page of the unfiltered directory reads the index instead of
        # sorting every active doctor; and the admins' pending queue.
        Index(
            "ix_accounts_active_doctors_lower_name",
            text("lower(name)"),
            "id",
            postgresql_where="role = 'DOCTOR' AND status = 'ACTIVE'",
        ),
        Index("ix_accounts_status_created_at", "status", "created_at"),
        Index("ix_accounts_city_lower", text("lower(city)")),
        Index(
            "ix_accounts_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        # Search also matches descriptions and free-text specialties (text <% column).
        Index(
            "ix_accounts_description_trgm",
            "description",
            postgresql_using="gin",
            postgresql_ops={"description": "gin_trgm_ops"},
        ),
        Index(
            "ix_accounts_category_label_trgm",
            "category_label",
            postgresql_using="gin",
            postgresql_ops={"category_label": "gin_trgm_ops"},
        ),
        CheckConstraint(
            "role <> 'DOCTOR' OR (phone IS NOT NULL AND registration_number IS NOT NULL"
            " AND address IS NOT NULL AND city IS NOT NULL)",
            name="doctor_has_profile",
        ),
        CheckConstraint(
            "category_id IS NOT NULL OR category_label IS NOT NULL OR role <> 'DOCTOR'",
            name="doctor_has_category",
        ),
        CheckConstraint("token_version >= 0", name="token_version_not_negative"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    role: Mapped[AccountRole] = mapped_column(checked_enum(AccountRole, "role"))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(Text)
    # Bumped on every password change or reset; tokens carry the version they were issued at.
    token_version: Mapped[int] = mapped_column(Integer, server_default="0")
    status: Mapped[DoctorStatus] = mapped_column(
        checked_enum(DoctorStatus, "status"), server_default=DoctorStatus.PENDING_ACTIVATION.value
    )
    public_number: Mapped[int | None] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(16))
    registration_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    category_label: Mapped[str | None] = mapped_column(String(100))
    time_zone: Mapped[str] = mapped_column(String(64))
    referral_code: Mapped[str | None] = mapped_column(String(32))
    profile_picture_url: Mapped[str | None] = mapped_column(Text)
    email_visible: Mapped[bool] = mapped_column(Boolean, server_default=true())
    phone_visible: Mapped[bool] = mapped_column(Boolean, server_default=true())
    registration_number_visible: Mapped[bool] = mapped_column(Boolean, server_default=true())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The secret in the doctor's calendar feed URL (resolvers/feeds/tokens.py): random,
    # kept so the URL can be shown again, and made by PostgreSQL when the row is, so a
    # GraphQL query (which never writes) can always show one.
    calendar_feed_token: Mapped[str] = mapped_column(
        String(64), unique=True, server_default=CALENDAR_FEED_TOKEN_DEFAULT
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    category: Mapped[Category | None] = relationship(lazy="raise")

    @property
    def public_id(self) -> str | None:
        return public_id_of(self.public_number)


def public_id_of(public_number: int | None) -> str | None:
    """A doctor's public id (MMD-<n>) from their number; None for accounts without one."""
    return None if public_number is None else f"MMD-{public_number}"


class PublicDoctorRecord(Protocol):
    """What the public view of a doctor needs: an Account, or a row of those columns.

    The directory and the doctor page read rows (no identity map or instrumentation
    per doctor, and no password hash carried along); other paths hand an Account.
    """

    @property
    def id(self) -> int: ...
    @property
    def public_number(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def category_label(self) -> str | None: ...
    @property
    def email(self) -> str: ...
    @property
    def email_visible(self) -> bool: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def phone_visible(self) -> bool: ...
    @property
    def registration_number(self) -> str | None: ...
    @property
    def registration_number_visible(self) -> bool: ...
    @property
    def address(self) -> str | None: ...
    @property
    def city(self) -> str | None: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def profile_picture_url(self) -> str | None: ...
    @property
    def category_id(self) -> int | None: ...


class LoginAttempt(Base):
    """One login try, kept to rate-limit by email and by client address across workers."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created_at", "email", "created_at"),
        Index("ix_login_attempts_client_ip_created_at", "client_ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    client_ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = created_at_column()
