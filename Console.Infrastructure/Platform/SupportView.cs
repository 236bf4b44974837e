using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Platform;

public sealed record SupportConversation(Guid Id, string Contact, string ChannelName, ConversationStatus Status, ConversationOwner Owner,
    DateTimeOffset? LastMessageAt, string? Preview);

public sealed record SupportMessage(DateTimeOffset At, MessageDirection Direction, MessageSender Sender, string? Body, MessageType Type);

public sealed record SupportLead(string Name, int Score, LeadTemperature Temperature, DateTimeOffset? LastSeenAt);

public sealed record SupportSnapshot(Tenant Tenant, DateTimeOffset EndsAt, IReadOnlyList<SupportConversation> Conversations,
    IReadOnlyList<SupportLead> Leads, AgentProfile? Agent, int Members, int Channels);

/// <summary>
/// A super admin's read-only look into one workspace, for support. It is opened with a reason (written to the tenant's
/// audit trail as <c>support.open</c>) and lasts <see cref="CommandCenterOptions.SupportViewMinutes"/>; every conversation
/// read is audited too (<c>support.conversation</c>). This class only reads: it has no method that changes anything.
/// </summary>
public sealed class SupportView(ContextScopes scopes, IOptionsMonitor<CommandCenterOptions> options, TimeProvider clock)
{
    public const string OpenAction = "support.open";
    public const string ConversationAction = "support.conversation";

    public TimeSpan Length => TimeSpan.FromMinutes(options.CurrentValue.SupportViewMinutes);

    /// <summary>Opens (or re-opens) the view; returns when it ends, or null for an unknown tenant.</summary>
    public async Task<DateTimeOffset?> OpenAsync(Guid tenantId, Guid superAdminId, string actor, string reason, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(reason)) throw new Domain.Common.DomainException("support.reason", "A reason is required to open a support view.");
        reason = reason.Trim();
        if (reason.Length > 500) reason = reason[..500];
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, $"support view of {tenantId}: {reason}", ct);
        if (!await work.Db.Tenants.AnyAsync(t => t.Id == tenantId, ct)) return null;
        var now = clock.GetUtcNow();
        work.Db.AuditEntries.Add(AuditEntry.Create(tenantId, superAdminId, actor, OpenAction, nameof(Tenant), tenantId.ToString(), reason, now));
        await work.Db.SaveChangesAsync(ct);
        return now + Length;
    }

    /// <summary>When this super admin's view of the tenant ends, or null when none is open (never opened, or expired).</summary>
    public async Task<DateTimeOffset?> EndsAtAsync(Guid tenantId, Guid superAdminId, CancellationToken ct = default)
    {
        var since = clock.GetUtcNow() - Length;
        await using var work = scopes.ForSystem("support view check");
        var opened = await work.Db.AuditEntries.AsNoTracking()
            .Where(a => a.TenantId == tenantId && a.ActorUserId == superAdminId && a.Action == OpenAction && a.CreatedAt > since)
            .MaxAsync(a => (DateTimeOffset?)a.CreatedAt, ct);
        return opened + Length;
    }

    /// <summary>The workspace's overview while the view is open; null when it is not (the page asks for a reason again).</summary>
    public async Task<SupportSnapshot?> SnapshotAsync(Guid tenantId, Guid superAdminId, string actor, CancellationToken ct = default)
    {
        if (await EndsAtAsync(tenantId, superAdminId, ct) is not { } endsAt) return null;
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, $"support view of {tenantId}: overview", ct);
        var db = work.Db;
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, ct);
        var conversations = await (from c in db.Conversations.AsNoTracking()
                                   join k in db.Contacts.AsNoTracking() on c.ContactId equals k.Id
                                   join ch in db.Channels.AsNoTracking() on c.ChannelId equals ch.Id
                                   where c.TenantId == tenantId
                                   orderby c.LastMessageAt descending
                                   select new SupportConversation(c.Id, k.Name ?? k.PhoneE164 ?? k.Email ?? "—", ch.DisplayName, c.Status, c.Owner,
                                       c.LastMessageAt, c.LastMessagePreview)).Take(50).ToListAsync(ct);
        var leads = await db.Contacts.AsNoTracking().Where(k => k.TenantId == tenantId).OrderByDescending(k => k.Score).ThenByDescending(k => k.LastSeenAt)
            .Take(20).Select(k => new SupportLead(k.Name ?? k.PhoneE164 ?? k.Email ?? "—", k.Score, k.Temperature, k.LastSeenAt)).ToListAsync(ct);
        var agent = await db.AgentProfiles.AsNoTracking().SingleOrDefaultAsync(p => p.TenantId == tenantId && p.State == AgentProfileState.Live, ct);
        var members = await db.TenantMembers.CountAsync(m => m.TenantId == tenantId, ct);
        var channels = await db.Channels.CountAsync(c => c.TenantId == tenantId && c.Status != Domain.Channels.ChannelStatus.Disconnected, ct);
        return new SupportSnapshot(tenant, endsAt, conversations, leads, agent, members, channels);
    }

    /// <summary>One conversation's messages (audited as <c>support.conversation</c>); null when the view is not open or the id is not the tenant's.</summary>
    public async Task<IReadOnlyList<SupportMessage>?> ConversationAsync(Guid tenantId, Guid conversationId, Guid superAdminId, string actor,
        CancellationToken ct = default)
    {
        if (await EndsAtAsync(tenantId, superAdminId, ct) is null) return null;
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, $"support view of {tenantId}: conversation {conversationId}", ct);
        var db = work.Db;
        if (!await db.Conversations.AnyAsync(c => c.Id == conversationId && c.TenantId == tenantId, ct)) return null;
        db.AuditEntries.Add(AuditEntry.Create(tenantId, superAdminId, actor, ConversationAction, nameof(Conversation), conversationId.ToString(),
            "read in a support view", clock.GetUtcNow()));
        await db.SaveChangesAsync(ct);
        return await db.Messages.AsNoTracking().Where(m => m.ConversationId == conversationId && m.TenantId == tenantId && m.DeletedAt == null)
            .OrderBy(m => m.CreatedAt).Take(500).Select(m => new SupportMessage(m.CreatedAt, m.Direction, m.Sender, m.Body, m.Type)).ToListAsync(ct);
    }
}
