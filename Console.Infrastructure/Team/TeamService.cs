using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Assignment;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Email;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Team;

/// <summary>
/// Who changes the team: a signed-in member (with their role) or an integration. An API key counts as an Admin, never
/// an Owner: an Admin can issue keys, and a key must not lift them to Owner. The platform key counts as an Owner.
/// </summary>
public sealed record TeamActor(Guid TenantId, Guid? UserId, string Name, TenantRole Role);

public sealed record MemberView(Guid MemberId, Guid UserId, string Name, string Email, TenantRole Role, int Capacity,
    IReadOnlyList<Guid> ChannelIds, MemberPresence Presence);

public sealed record InvitationView(Guid Id, string Email, TenantRole Role, InvitationState State, DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt, string InvitedBy);

/// <summary>What the holder of a link sees before accepting. <see cref="AccountExists"/> decides sign-in vs. sign-up.</summary>
public sealed record InvitationPreview(Guid Id, Guid TenantId, string TenantName, string Email, TenantRole Role, InvitationState State,
    bool AccountExists);

public sealed record MemberChange(TenantRole? Role, IReadOnlyList<Guid>? ChannelIds, int? Capacity);

/// <summary>
/// The team of a workspace: invitations (mailed single-use links), members' role, channel access and capacity, and
/// removal. Every change is written to the audit log with its before → after. The workspace always keeps an owner:
/// changes that could take the last one away are serialized per tenant by a transaction-scoped advisory lock, so two
/// owners demoting each other at once leave one.
/// </summary>
public sealed class TeamService(ContextScopes scopes, EmailOutbox email, PublicLinks links, AssignmentService assignment,
    TimeProvider clock, ILogger<TeamService> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public static string Snapshot(object? value) => JsonSerializer.Serialize(value, Json);

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public async Task<IReadOnlyList<MemberView>> MembersAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var rows = await (from m in work.Db.TenantMembers.AsNoTracking()
                          join u in work.Db.Users on m.UserId equals u.Id
                          where m.TenantId == tenantId
                          orderby m.Role, u.DisplayName
                          select new { m.Id, m.UserId, u.DisplayName, u.Email, m.Role, m.Capacity, m.Presence }).ToListAsync(ct);
        var access = (await work.Db.ChannelAccess.AsNoTracking().Select(a => new { a.MemberId, a.ChannelId }).ToListAsync(ct))
            .ToLookup(a => a.MemberId, a => a.ChannelId);
        return rows.Select(r => new MemberView(r.Id, r.UserId, string.IsNullOrEmpty(r.DisplayName) ? r.Email ?? "" : r.DisplayName, r.Email ?? "",
            r.Role, r.Capacity, access[r.Id].ToList(), r.Presence)).ToList();
    }

    // ---------------------------------------------------------------- invitations

    public async Task<IReadOnlyList<InvitationView>> InvitationsAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var now = clock.GetUtcNow();
        var rows = await work.Db.Invitations.AsNoTracking().Where(i => i.AcceptedAt == null && i.RevokedAt == null)
            .OrderByDescending(i => i.CreatedAt).Take(200).ToListAsync(ct);
        return rows.Select(i => new InvitationView(i.Id, i.Email, i.Role, i.StateAt(now), i.CreatedAt, i.ExpiresAt, i.InvitedBy)).ToList();
    }

    /// <summary>Invites an e-mail address; a pending invitation for the same address is replaced (its link dies).</summary>
    public async Task<Guid> InviteAsync(TeamActor actor, string? emailAddress, TenantRole role, CancellationToken ct = default)
    {
        var address = emailAddress?.Trim().ToLowerInvariant() ?? "";
        if (!System.Net.Mail.MailAddress.TryCreate(address, out var parsed) || parsed.Address != address)
            throw new DomainException("invitation.email", "Enter a valid e-mail address.");
        if (role == TenantRole.Owner && actor.Role != TenantRole.Owner)
            throw new DomainException("invitation.owner_only", "Only an owner can invite another owner.");
        var token = NewToken();
        var now = clock.GetUtcNow();
        Invitation invitation;
        Tenant tenant;
        await using (var work = scopes.ForTenant(actor.TenantId, actor.UserId))
        {
            tenant = await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == actor.TenantId, ct);
            var alreadyMember = await (from m in work.Db.TenantMembers
                                       join u in work.Db.Users on m.UserId equals u.Id
                                       where m.TenantId == actor.TenantId && u.NormalizedEmail == address.ToUpperInvariant()
                                       select m.Id).AnyAsync(ct);
            if (alreadyMember) throw new ConflictException("invitation.already_member", "{0} is already on the team.", address);
            var seats = await work.Db.TenantMembers.CountAsync(m => m.TenantId == actor.TenantId, ct)
                        + await work.Db.Invitations.CountAsync(i => i.Email != address && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now, ct);
            Billing.PlanGates.RequireRoom(PlanCatalog.For(tenant.Plan), Billing.PlanLimitKind.Seats, seats);
            foreach (var previous in await work.Db.Invitations.Where(i => i.Email == address && i.AcceptedAt == null && i.RevokedAt == null).ToListAsync(ct))
                previous.Revoke(now);
            invitation = Invitation.Create(actor.TenantId, address, role, HashToken(token), actor.UserId, actor.Name, now);
            work.Db.Invitations.Add(invitation);
            work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "invitation.created", nameof(Invitation),
                invitation.Id.ToString(), null, Snapshot(new { email = address, role }), now, address));
            await work.Db.SaveChangesAsync(ct);
        }
        await MailAsync(tenant, invitation, token, actor.Name, ct);
        return invitation.Id;
    }

    /// <summary>Sends a new link with a fresh week; the previous link stops working.</summary>
    public async Task ResendAsync(TeamActor actor, Guid invitationId, CancellationToken ct = default)
    {
        var token = NewToken();
        Invitation invitation;
        Tenant tenant;
        await using (var work = scopes.ForTenant(actor.TenantId, actor.UserId))
        {
            tenant = await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == actor.TenantId, ct);
            invitation = await work.Db.Invitations.SingleOrDefaultAsync(i => i.Id == invitationId, ct)
                ?? throw new DomainException("invitation.not_found", "Invitation not found.");
            var now = clock.GetUtcNow();
            invitation.Renew(HashToken(token), now);
            work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "invitation.resent", nameof(Invitation),
                invitation.Id.ToString(), null, Snapshot(new { email = invitation.Email, role = invitation.Role, expiresAt = invitation.ExpiresAt }), now,
                invitation.Email));
            await work.Db.SaveChangesAsync(ct);
        }
        await MailAsync(tenant, invitation, token, actor.Name, ct);
    }

    public async Task<bool> RevokeAsync(TeamActor actor, Guid invitationId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(actor.TenantId, actor.UserId);
        var invitation = await work.Db.Invitations.SingleOrDefaultAsync(i => i.Id == invitationId, ct);
        if (invitation is null) return false;
        var now = clock.GetUtcNow();
        invitation.Revoke(now);
        work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "invitation.revoked", nameof(Invitation),
            invitation.Id.ToString(), Snapshot(new { email = invitation.Email, role = invitation.Role }), null, now, invitation.Email));
        await work.Db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>What a link leads to, looked up by its hash across tenants (the holder has no workspace yet).</summary>
    public async Task<InvitationPreview?> PreviewAsync(string? token, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(token)) return null;
        var hash = HashToken(token.Trim());
        await using var work = scopes.ForSystem("invitation link");
        var found = await (from i in work.Db.Invitations.AsNoTracking()
                           join t in work.Db.Tenants on i.TenantId equals t.Id
                           where i.TokenHash == hash
                           select new { i, t.Name }).SingleOrDefaultAsync(ct);
        if (found is null) return null;
        var exists = await work.Db.Users.AnyAsync(u => u.NormalizedEmail == found.i.Email.ToUpperInvariant(), ct);
        return new InvitationPreview(found.i.Id, found.i.TenantId, found.Name, found.i.Email, found.i.Role, found.i.StateAt(clock.GetUtcNow()), exists);
    }

    /// <summary>
    /// Accepts the invitation for this user: single use (the row is locked, so two clicks on one link make one member).
    /// A user who is already a member keeps their role. Returns the workspace joined.
    /// </summary>
    public async Task<Guid> AcceptAsync(string token, Guid userId, string userName, CancellationToken ct = default)
    {
        var hash = HashToken(token.Trim());
        await using var work = scopes.ForSystem("invitation accept");
        await using var tx = await work.Db.Database.BeginTransactionAsync(ct);
        var invitation = await work.Db.Invitations.FromSql($"SELECT * FROM invitations WHERE token_hash = {hash} FOR UPDATE").SingleOrDefaultAsync(ct)
            ?? throw new DomainException("invitation.not_found", "This invitation link is not valid.");
        var now = clock.GetUtcNow();
        invitation.Accept(userId, now);
        if (!await work.Db.TenantMembers.AnyAsync(m => m.TenantId == invitation.TenantId && m.UserId == userId, ct))
        {
            // The plan is checked again when the seat is taken, not only when the link was sent: the workspace may have
            // moved to a smaller plan since. The tenant row is locked so two invitees accepting at once count each other.
            var tenant = await work.Db.Tenants.FromSql($"SELECT * FROM tenants WHERE id = {invitation.TenantId} FOR UPDATE").AsNoTracking().SingleAsync(ct);
            var seats = await work.Db.TenantMembers.CountAsync(m => m.TenantId == invitation.TenantId, ct);
            Billing.PlanGates.RequireRoom(PlanCatalog.For(tenant.Plan), Billing.PlanLimitKind.Seats, seats);
            work.Db.TenantMembers.Add(TenantMember.Create(invitation.TenantId, userId, invitation.Role, now));
        }
        work.Db.AuditEntries.Add(AuditEntry.Change(invitation.TenantId, userId, userName, "member.joined", nameof(TenantMember), userId.ToString(),
            null, Snapshot(new { email = invitation.Email, role = invitation.Role }), now, invitation.Email));
        await work.Db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return invitation.TenantId;
    }

    private static string NewToken() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    private async Task MailAsync(Tenant tenant, Invitation invitation, string token, string inviter, CancellationToken ct)
    {
        var link = links.To("Account/Invitation", new Dictionary<string, string?> { ["token"] = token });
        var href = WebUtility.HtmlEncode(link);
        var workspace = WebUtility.HtmlEncode(tenant.Name);
        var who = WebUtility.HtmlEncode(inviter);
        // The invitee has no language of their own yet: the workspace's is the best guess.
        var spanish = tenant.DefaultCulture.StartsWith("es", StringComparison.OrdinalIgnoreCase);
        var (subject, body) = spanish
            ? ($"Te invitaron a {tenant.Name} en Console",
                $"<p>{who} te invitó a unirte a <strong>{workspace}</strong> en Console.</p>" +
                $"<p><a href=\"{href}\">Aceptar la invitación</a></p><p>El enlace vale 7 días y se usa una sola vez.</p>")
            : ($"You are invited to {tenant.Name} on Console",
                $"<p>{who} invited you to join <strong>{workspace}</strong> on Console.</p>" +
                $"<p><a href=\"{href}\">Accept the invitation</a></p><p>The link works for 7 days, once.</p>");
        await email.SendAsync(invitation.Email, subject, body, ct);
        log.LogInformation("Invitation {InvitationId} mailed for tenant {TenantId}", invitation.Id, tenant.Id);
    }

    // ---------------------------------------------------------------- members

    /// <summary>The member, read after taking the team lock, so owner checks and the change see the same team.</summary>
    private static async Task<TenantMember> LockedMemberAsync(AppDbContext db, Guid tenantId, Guid userId, CancellationToken ct)
    {
        await LockTeamAsync(db, tenantId, ct);
        return await db.TenantMembers.SingleOrDefaultAsync(m => m.TenantId == tenantId && m.UserId == userId, ct)
            ?? throw new DomainException("member.not_found", "Member not found.");
    }

    /// <summary>Changes a member's role, channel access (empty = every channel) and capacity, audited with before → after.</summary>
    public async Task<MemberView> UpdateMemberAsync(TeamActor actor, Guid userId, MemberChange change, CancellationToken ct = default)
    {
        bool roleChanged;
        await using (var work = scopes.ForTenant(actor.TenantId, actor.UserId))
        {
            var db = work.Db;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var member = await LockedMemberAsync(db, actor.TenantId, userId, ct);
            var access = await db.ChannelAccess.Where(a => a.MemberId == member.Id).ToListAsync(ct);
            var before = Snapshot(new { role = member.Role, channelIds = access.Select(a => a.ChannelId).Order().ToList(), capacity = member.Capacity });

            roleChanged = change.Role is { } role && role != member.Role;
            if (change.Role is { } newRole && roleChanged)
            {
                if (actor.Role != TenantRole.Owner && (member.Role == TenantRole.Owner || newRole == TenantRole.Owner))
                    throw new DomainException("member.owner_only", "Only an owner can make or unmake an owner.");
                if (member.Role == TenantRole.Owner && !await OtherOwnerAsync(db, member, ct))
                    throw new ConflictException("member.last_owner", "The workspace needs at least one owner.");
                member.ChangeRole(newRole);
            }
            if (change.Capacity is { } capacity) member.ChangeCapacity(capacity);
            if (change.ChannelIds is { } wanted)
            {
                var ids = wanted.Distinct().ToList();
                var known = await db.Channels.Where(c => ids.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct);
                if (known.Count != ids.Count) throw new DomainException("member.channel", "Choose channels of this workspace.");
                db.ChannelAccess.RemoveRange(access.Where(a => !ids.Contains(a.ChannelId)));
                foreach (var id in ids.Where(id => access.All(a => a.ChannelId != id)))
                    db.ChannelAccess.Add(ChannelAccess.Grant(actor.TenantId, id, member.Id));
            }
            var after = Snapshot(new { role = member.Role, channelIds = (change.ChannelIds?.Distinct() ?? access.Select(a => a.ChannelId)).Order().ToList(),
                capacity = member.Capacity });
            if (after != before)
                db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "member.updated", nameof(TenantMember),
                    userId.ToString(), before, after, clock.GetUtcNow(), await EmailOfAsync(db, userId, ct)));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        // The role is in the member's sign-in cookie: a new security stamp makes every session rebuild it.
        if (roleChanged || change.ChannelIds is not null) await RenewSessionsAsync(userId, ct);
        return (await MembersAsync(actor.TenantId, ct)).Single(m => m.UserId == userId);
    }

    /// <summary>
    /// Removes a member: their open conversations go back to the queue and are auto-assigned to the next available
    /// member; their sessions are renewed so they lose the workspace.
    /// </summary>
    public async Task RemoveMemberAsync(TeamActor actor, Guid userId, CancellationToken ct = default)
    {
        List<Guid> requeued;
        await using (var work = scopes.ForTenant(actor.TenantId, actor.UserId))
        {
            var db = work.Db;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var member = await LockedMemberAsync(db, actor.TenantId, userId, ct);
            if (member.Role == TenantRole.Owner)
            {
                if (actor.Role != TenantRole.Owner) throw new DomainException("member.owner_only", "Only an owner can make or unmake an owner.");
                if (!await OtherOwnerAsync(db, member, ct)) throw new ConflictException("member.last_owner", "The workspace needs at least one owner.");
            }
            var now = clock.GetUtcNow();
            var open = await db.Conversations.Where(c => c.AssignedMemberId == member.Id && c.Status != ConversationStatus.Resolved).ToListAsync(ct);
            foreach (var conversation in open) conversation.ReturnToQueue(now);
            requeued = open.Select(c => c.Id).ToList();
            var email = await EmailOfAsync(db, userId, ct);
            db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "member.removed", nameof(TenantMember), userId.ToString(),
                Snapshot(new { email, role = member.Role, capacity = member.Capacity }), null, now, email));
            db.ChannelAccess.RemoveRange(await db.ChannelAccess.Where(a => a.MemberId == member.Id).ToListAsync(ct));
            db.TenantMembers.Remove(member);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        await RenewSessionsAsync(userId, ct);
        foreach (var id in requeued)
        {
            try { await assignment.AutoAssignAsync(actor.TenantId, id, ct); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The conversation waits in the queue; the next assignment pass or a person picks it up.
                log.LogWarning(ex, "Auto-assignment after removing a member failed for conversation {ConversationId}", id);
            }
        }
    }

    // Every change that could leave the workspace without an owner takes this lock first: the check and the write
    // then happen one transaction at a time per tenant, under READ COMMITTED.
    private static Task LockTeamAsync(AppDbContext db, Guid tenantId, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"team:" + tenantId}, 0))", ct);

    private static Task<bool> OtherOwnerAsync(AppDbContext db, TenantMember member, CancellationToken ct) =>
        db.TenantMembers.AnyAsync(m => m.TenantId == member.TenantId && m.Id != member.Id && m.Role == TenantRole.Owner, ct);

    private static Task<string?> EmailOfAsync(AppDbContext db, Guid userId, CancellationToken ct) =>
        db.Users.Where(u => u.Id == userId).Select(u => u.Email).SingleOrDefaultAsync(ct);

    private async Task RenewSessionsAsync(Guid userId, CancellationToken ct)
    {
        await using var work = scopes.ForSystem("team: renew sessions");
        var stamp = Guid.NewGuid().ToString("N").ToUpperInvariant();
        await work.Db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.SecurityStamp, stamp), ct);
    }
}
