using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Billing;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Email;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Platform;

/// <summary>The command center's settings under Platform:* (support view length, spend alerts).</summary>
public sealed class CommandCenterOptions
{
    /// <summary>How long a support view stays open before it must be opened again with a reason. Key: Platform:SupportViewMinutes.</summary>
    [Range(1, 24 * 60)] public int SupportViewMinutes { get; set; } = 30;

    public SpendAlertOptions SpendAlert { get; set; } = new();
}

/// <summary>Platform:SpendAlert:*: a tenant's spend today above Factor × its trailing 7-day daily average and above MinUsd.</summary>
public sealed class SpendAlertOptions
{
    [Range(1.0, 1000.0)] public double Factor { get; set; } = 3;
    [Range(0.0, 1_000_000.0)] public decimal MinUsd { get; set; } = 5;

    /// <summary>How often the Quartz job looks (minutes).</summary>
    [Range(1, 24 * 60)] public int EveryMinutes { get; set; } = 15;
}

public enum StatusChange { NotFound, Changed, Unchanged }

public sealed record TenantQuery(string? Search, string? SortBy, bool Descending, int Skip, int Take);

/// <summary>One row of the tenants list: billing, usage against the plan, channel health, team and last activity.</summary>
public sealed record TenantRow(Guid Id, string Name, string Slug, Plan Plan, TenantStatus Status, BillingStatus Billing, DateTimeOffset CreatedAt,
    int RepliesThisMonth, int? RepliesPerMonth, int ChannelsActive, int ChannelsFailing, int Members, DateTimeOffset? LastActivity);

public sealed record TenantMemberRow(string Name, string Email, TenantRole Role);

public sealed record TenantDetail(Tenant Tenant, Entitlement Entitlement, UsageSummary Usage, IReadOnlyList<Channel> Channels,
    IReadOnlyList<TenantMemberRow> Members, IReadOnlyList<SystemEvent> Events, IReadOnlyList<AuditEntry> Audit);

public sealed record NewPlatformTenant(string Name, string Slug, string OwnerEmail, Plan Plan, string TimeZone, string Culture);

/// <summary>
/// What super admins (and the platform API key) do to tenants: list and read them, create one with its owner, suspend
/// and resume, override the plan. Every change is written to the tenant's audit trail with who and why.
/// </summary>
public sealed class PlatformTenants(ContextScopes scopes, BillingReads billing, TenantProvisioning provisioning,
    UserManager<ApplicationUser> users, EmailOutbox email, PublicLinks links, SystemEventWriter events, TimeProvider clock)
{
    private async Task<WorkScope> ScopeAsync(PlatformActor actor, string reason, CancellationToken ct) =>
        actor.UserId is { } id ? await scopes.ForSuperAdminAsync(id, actor.Name, reason, ct) : scopes.ForSystem("platform api: " + reason);

    public async Task<(IReadOnlyList<TenantRow> Rows, int Total)> ListAsync(PlatformActor actor, TenantQuery query, CancellationToken ct = default)
    {
        await using var work = await ScopeAsync(actor, "command center: tenants", ct);
        var db = work.Db;
        var tenants = db.Tenants.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var s = query.Search.Trim().ToLower();
            tenants = tenants.Where(t => t.Name.ToLower().Contains(s) || t.Slug.Contains(s));
        }
        var total = await tenants.CountAsync(ct);
        var rows = tenants.Select(t => new
        {
            Tenant = t,
            Members = db.TenantMembers.Count(m => m.TenantId == t.Id),
            Active = db.Channels.Count(c => c.TenantId == t.Id && c.Status == ChannelStatus.Active),
            Failing = db.Channels.Count(c => c.TenantId == t.Id && (c.Status == ChannelStatus.Error || c.Status == ChannelStatus.Disabled)),
            Last = db.Conversations.Where(c => c.TenantId == t.Id).Max(c => c.LastMessageAt),
        });
        rows = (query.SortBy, query.Descending) switch
        {
            ("Plan", false) => rows.OrderBy(r => r.Tenant.Plan).ThenBy(r => r.Tenant.Name),
            ("Plan", true) => rows.OrderByDescending(r => r.Tenant.Plan).ThenBy(r => r.Tenant.Name),
            ("Status", false) => rows.OrderBy(r => r.Tenant.Status).ThenBy(r => r.Tenant.Name),
            ("Status", true) => rows.OrderByDescending(r => r.Tenant.Status).ThenBy(r => r.Tenant.Name),
            ("CreatedAt", false) => rows.OrderBy(r => r.Tenant.CreatedAt),
            ("CreatedAt", true) => rows.OrderByDescending(r => r.Tenant.CreatedAt),
            ("Members", false) => rows.OrderBy(r => r.Members).ThenBy(r => r.Tenant.Name),
            ("Members", true) => rows.OrderByDescending(r => r.Members).ThenBy(r => r.Tenant.Name),
            ("LastActivity", false) => rows.OrderBy(r => r.Last).ThenBy(r => r.Tenant.Name),
            ("LastActivity", true) => rows.OrderByDescending(r => r.Last).ThenBy(r => r.Tenant.Name),
            (_, true) => rows.OrderByDescending(r => r.Tenant.Name),
            _ => rows.OrderBy(r => r.Tenant.Name),
        };
        var page = await rows.Skip(Math.Max(0, query.Skip)).Take(Math.Clamp(query.Take, 1, 200)).ToListAsync(ct);
        var ids = page.Select(r => r.Tenant.Id).ToList();
        var subscriptions = await db.Subscriptions.AsNoTracking().Where(s => ids.Contains(s.TenantId)).ToDictionaryAsync(s => s.TenantId, ct);
        var now = clock.GetUtcNow();
        var result = new List<TenantRow>(page.Count);
        foreach (var r in page)
        {
            var t = r.Tenant;
            var entitlement = billing.Evaluate(t, subscriptions.GetValueOrDefault(t.Id));
            var (_, monthStart) = BillingReads.PeriodStarts(t.TimeZone, now);
            var replies = await db.AiReplyUsage.CountAsync(u => u.TenantId == t.Id && u.OccurredAt >= monthStart, ct);
            result.Add(new TenantRow(t.Id, t.Name, t.Slug, t.Plan, t.Status, entitlement.Status, t.CreatedAt, replies,
                entitlement.Limits.RepliesPerMonth, r.Active, r.Failing, r.Members, r.Last));
        }
        return (result, total);
    }

    public async Task<TenantDetail?> DetailAsync(PlatformActor actor, Guid tenantId, CancellationToken ct = default)
    {
        await using var work = await ScopeAsync(actor, $"command center: tenant {tenantId}", ct);
        var db = work.Db;
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenantId, ct);
        if (tenant is null) return null;
        var entitlement = await billing.EntitlementAsync(db, tenantId, ct);
        var usage = await billing.UsageAsync(db, tenantId, ct);
        var channels = await db.Channels.AsNoTracking().Where(c => c.TenantId == tenantId && c.Status != ChannelStatus.Disconnected)
            .OrderBy(c => c.Kind).ThenBy(c => c.DisplayName).ToListAsync(ct);
        var members = await (from m in db.TenantMembers.AsNoTracking()
                             join u in db.Users.AsNoTracking() on m.UserId equals u.Id
                             where m.TenantId == tenantId
                             orderby m.Role, u.DisplayName
                             select new TenantMemberRow(u.DisplayName, u.Email ?? "", m.Role)).ToListAsync(ct);
        var recent = await db.SystemEvents.AsNoTracking().Where(e => e.TenantId == tenantId).OrderByDescending(e => e.CreatedAt).Take(20).ToListAsync(ct);
        var audit = await db.AuditEntries.AsNoTracking().Where(a => a.TenantId == tenantId).OrderByDescending(a => a.CreatedAt).Take(20).ToListAsync(ct);
        return new TenantDetail(tenant, entitlement, usage, channels, members, recent, audit);
    }

    /// <summary>
    /// Suspends (bots stop through the entitlement, members see the suspended notice; webhooks are still stored) or
    /// resumes a tenant. Idempotent: the same request twice changes nothing the second time and writes no second entry.
    /// </summary>
    public async Task<StatusChange> SetSuspendedAsync(Guid tenantId, bool suspend, string? reason, PlatformActor actor, CancellationToken ct = default)
    {
        var why = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        if (why is { Length: > 500 }) throw new DomainException("tenant.reason", "A reason is at most 500 characters.");
        var action = suspend ? "tenant.suspend" : "tenant.resume";
        await using var work = await ScopeAsync(actor, $"{action} {tenantId}: {why}", ct);
        var tenant = await work.Db.Tenants.SingleOrDefaultAsync(t => t.Id == tenantId, ct);
        if (tenant is null) return StatusChange.NotFound;
        var before = tenant.Status;
        if (suspend) tenant.Suspend(); else tenant.Reactivate();
        if (tenant.Status == before) return StatusChange.Unchanged;
        work.Db.AuditEntries.Add(AuditEntry.Change(tenant.Id, actor.UserId, actor.Name, action, nameof(Tenant), tenant.Id.ToString(),
            $$"""{"status":"{{before}}"}""", $$"""{"status":"{{tenant.Status}}"}""", clock.GetUtcNow(), why));
        await work.Db.SaveChangesAsync(ct);
        await events.WriteAsync(suspend ? Severity.Warning : Severity.Info, "tenants",
            suspend
                ? new TextRef("SystemEvent.TenantSuspended", $"Tenant '{tenant.Slug}' suspended by {actor.Name}", tenant.Slug, actor.Name)
                : new TextRef("SystemEvent.TenantResumed", $"Tenant '{tenant.Slug}' resumed by {actor.Name}", tenant.Slug, actor.Name),
            tenant.Id, why, ct);
        return StatusChange.Changed;
    }

    /// <summary>A super admin puts a tenant on another plan (comped, negotiated), with the reason in the audit trail.</summary>
    public async Task OverridePlanAsync(Guid tenantId, Plan plan, string reason, PlatformActor actor, CancellationToken ct = default)
    {
        await using var work = await ScopeAsync(actor, $"billing: override plan of {tenantId} to {plan}: {reason}", ct);
        var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == tenantId, ct);
        var before = tenant.Plan;
        tenant.ChangePlan(plan);
        work.Db.AuditEntries.Add(AuditEntry.Change(tenant.Id, actor.UserId, actor.Name, "billing.plan_override", "tenant",
            tenant.Id.ToString(), $$"""{"plan":"{{before}}"}""", $$"""{"plan":"{{plan}}"}""", clock.GetUtcNow(), reason));
        await work.Db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Creates a workspace with its owner through <see cref="TenantProvisioning"/>; a new owner gets the e-mail that lets
    /// them choose a password (the same link as "forgot password"), in the workspace's language.
    /// </summary>
    public async Task<ProvisionedTenant> CreateAsync(NewPlatformTenant request, PlatformActor actor, CancellationToken ct = default)
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(request.TimeZone ?? "", out _))
            throw new DomainException("tenant.timezone", "Choose a known time zone.");
        var culture = request.Culture is "en" ? "en" : "es";
        var created = await provisioning.CreateAsync(new NewTenant(request.Name, request.Slug, request.Plan, request.OwnerEmail, null)
        {
            OwnerCulture = culture,
        }, actor.Name, ct);
        await using (var work = await ScopeAsync(actor, $"create tenant {created.Slug}", ct))
        {
            var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == created.Id, ct);
            tenant.SetLocale(request.TimeZone!, culture);
            await work.Db.SaveChangesAsync(ct);
        }
        if (created.OwnerCreated && await users.FindByIdAsync(created.OwnerUserId.ToString()) is { } owner)
        {
            var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GeneratePasswordResetTokenAsync(owner)));
            var link = links.To("Account/ResetPassword", new Dictionary<string, string?> { ["code"] = code, ["email"] = owner.Email });
            await email.SendPasswordResetLinkAsync(owner, owner.Email!, link);
        }
        return created;
    }
}
