using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Assignment;

/// <summary>
/// Automatic assignment of a conversation that needs a human. Rules:
/// <list type="bullet">
/// <item>Candidates are the tenant's members (any role) who are Online — not Away, not Offline, and seen by a node
/// within the presence timeout, so a member whose node died is never picked.</item>
/// <item>Channel access follows <c>ChannelAccess</c>: a member with no rows works every channel; a member with rows
/// works only those channels.</item>
/// <item>Capacity: a member holds at most <c>Capacity</c> unresolved conversations assigned to them.</item>
/// <item>Round robin: the member assigned longest ago (never first) gets the next one. The turn is stored on the
/// member row (<c>LastAssignedAt</c>), so it survives restarts and is shared by every node.</item>
/// </list>
/// Concurrency: the conversation row is locked first (two calls for one conversation assign it once; the second
/// returns the first's choice), then the chosen member row with SKIP LOCKED, so two nodes assigning different
/// conversations at once give them to different members and never overfill one member's last slot.
/// </summary>
public sealed class AssignmentService(
    ContextScopes scopes,
    TimeProvider clock,
    IOptions<LiveOptions> options,
    ILogger<AssignmentService> log)
{
    /// <summary>
    /// Assigns the conversation to the next available member and returns their member id; returns the current
    /// assignee if it already has one, and null when nobody can take it (it stays waiting for a human).
    /// </summary>
    public async Task<Guid?> AutoAssignAsync(Guid tenantId, Guid conversationId, CancellationToken ct)
    {
        Guid chosen;
        await using (var work = scopes.ForTenant(tenantId))
        {
            var db = work.Db;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var conversation = await db.Conversations
                .FromSql($"SELECT c.*, c.xmin FROM conversations c WHERE c.id = {conversationId} FOR UPDATE")
                .SingleOrDefaultAsync(ct);
            if (conversation is null) return null;
            if (conversation.AssignedMemberId is { } current) return current;
            if (conversation.Status == ConversationStatus.Resolved) return null;

            var now = clock.GetUtcNow();
            var seenSince = now - options.Value.PresenceTimeout;
            var member = await PickAsync(db, conversation, seenSince, ct);
            if (member is null)
            {
                log.LogInformation("No member available for conversation {ConversationId}; it waits for a human", conversationId);
                return null;
            }

            // AssignTo keeps the handoff's SLA clock: the assignee still has to answer by then.
            conversation.AssignTo(member.Id);
            member.RecordAssignment(now);
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.Assigned, null, null,
                JsonSerializer.Serialize(new { memberId = member.Id, mode = "auto" }), now));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            chosen = member.Id;
        }
        return chosen;
    }

    /// <summary>
    /// Locks the next available member for this transaction. The capacity in the pick is counted in the statement's
    /// snapshot, which can predate another node's just-committed assignment, so it is counted again once the row is
    /// locked. Only a transaction holding no member lock yet waits for one (when SKIP LOCKED found nobody free), so
    /// two assignments can never wait on each other.
    /// </summary>
    private static async Task<TenantMember?> PickAsync(AppDbContext db, Conversation conversation, DateTimeOffset seenSince, CancellationToken ct)
    {
        var passedOver = new List<Guid>();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var member = await CandidateAsync(db, conversation, seenSince, [.. passedOver], skipLocked: true, ct)
                ?? (passedOver.Count == 0 ? await CandidateAsync(db, conversation, seenSince, [], skipLocked: false, ct) : null);
            if (member is null) return null;
            var open = await db.Conversations.CountAsync(c => c.AssignedMemberId == member.Id && c.Status != ConversationStatus.Resolved, ct);
            if (open < member.Capacity) return member;
            passedOver.Add(member.Id);
        }
        return null;
    }

    private static Task<TenantMember?> CandidateAsync(AppDbContext db, Conversation conversation, DateTimeOffset seenSince, Guid[] passedOver,
        bool skipLocked, CancellationToken ct)
    {
        // Round robin: least recently assigned first. The lock clause is one of two constants and the enum values are
        // written from the enums (literals: the partial indexes on status <> 'Resolved' match them); every value is a parameter.
        var sql = $"""
            SELECT m.* FROM tenant_members m
            WHERE m.tenant_id = @tenant AND m.presence = '{nameof(MemberPresence.Online)}' AND m.last_seen_at >= @seen AND m.id <> ALL(@passed)
              AND (NOT EXISTS (SELECT 1 FROM channel_access a WHERE a.tenant_id = m.tenant_id AND a.member_id = m.id)
                   OR EXISTS (SELECT 1 FROM channel_access a WHERE a.tenant_id = m.tenant_id AND a.member_id = m.id AND a.channel_id = @channel))
              AND (SELECT count(*) FROM conversations c
                   WHERE c.tenant_id = m.tenant_id AND c.assigned_member_id = m.id AND c.status <> '{nameof(ConversationStatus.Resolved)}') < m.capacity
            ORDER BY m.last_assigned_at NULLS FIRST, m.created_at, m.id
            LIMIT 1
            {(skipLocked ? "FOR UPDATE OF m SKIP LOCKED" : "FOR UPDATE OF m")}
            """;
        return db.TenantMembers.FromSqlRaw(sql,
                new NpgsqlParameter("tenant", conversation.TenantId),
                new NpgsqlParameter("seen", seenSince),
                new NpgsqlParameter("passed", passedOver),
                new NpgsqlParameter("channel", conversation.ChannelId))
            .SingleOrDefaultAsync(ct);
    }
}
