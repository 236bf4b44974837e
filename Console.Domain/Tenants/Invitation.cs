using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Tenants;

/// <summary>What a link's holder finds when they open it.</summary>
public enum InvitationState { Pending, Accepted, Revoked, Expired }

/// <summary>
/// An invitation by e-mail to join a workspace with a role. Only a SHA-256 hash of the link's token is stored; the link
/// works once, for <see cref="Lifetime"/>, and a resend issues a new token so the old link stops working.
/// </summary>
public sealed class Invitation : ITenantOwned
{
    private Invitation() { }

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Email { get; private set; } = "";
    public TenantRole Role { get; private set; }
    public string TokenHash { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset ExpiresAt { get; private set; }
    public Guid? InvitedByUserId { get; private set; }
    public string InvitedBy { get; private set; } = "";
    public DateTimeOffset? AcceptedAt { get; private set; }
    public Guid? AcceptedUserId { get; private set; }
    public DateTimeOffset? RevokedAt { get; private set; }

    public static Invitation Create(Guid tenantId, string email, TenantRole role, string tokenHash, Guid? invitedByUserId, string invitedBy,
        DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        Email = email.Trim().ToLowerInvariant(),
        Role = role,
        TokenHash = tokenHash,
        CreatedAt = now,
        ExpiresAt = now + Lifetime,
        InvitedByUserId = invitedByUserId,
        InvitedBy = invitedBy,
    };

    public InvitationState StateAt(DateTimeOffset now) =>
        AcceptedAt is not null ? InvitationState.Accepted
        : RevokedAt is not null ? InvitationState.Revoked
        : now >= ExpiresAt ? InvitationState.Expired
        : InvitationState.Pending;

    /// <summary>A new link with a fresh week; the old token's hash is replaced, so the old link is dead.</summary>
    public void Renew(string tokenHash, DateTimeOffset now)
    {
        if (AcceptedAt is not null) throw new DomainException("invitation.used", "This invitation was already accepted.");
        if (RevokedAt is not null) throw new DomainException("invitation.revoked", "This invitation was revoked.");
        TokenHash = tokenHash;
        ExpiresAt = now + Lifetime;
    }

    public void Revoke(DateTimeOffset now)
    {
        if (AcceptedAt is not null) throw new DomainException("invitation.used", "This invitation was already accepted.");
        RevokedAt ??= now;
    }

    /// <summary>Single use: only a pending invitation can be accepted, once.</summary>
    public void Accept(Guid userId, DateTimeOffset now)
    {
        switch (StateAt(now))
        {
            case InvitationState.Accepted: throw new DomainException("invitation.used", "This invitation was already used.");
            case InvitationState.Revoked: throw new DomainException("invitation.revoked", "This invitation was revoked.");
            case InvitationState.Expired: throw new DomainException("invitation.expired", "This invitation expired.");
        }
        AcceptedAt = now;
        AcceptedUserId = userId;
    }
}
