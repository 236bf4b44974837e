using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;
using Quartz;

namespace OperatorConsole.Infrastructure.Billing;

/// <summary>A page of the ledger, newest first.</summary>
public sealed record CreditLedgerPage(IReadOnlyList<CreditEntry> Entries, int Total, int Balance);

/// <summary>What is left of one grant (FIFO: consumption draws on the oldest grant first).</summary>
public sealed record GrantRemainder(CreditEntry Grant, int Remaining);

/// <summary>
/// The prepaid-credit ledger's movements other than consumption (which the turn's commit writes): grants, refunds of
/// what is unused of a grant, and expiry of what is left of a grant after its end. Every movement takes the tenant's
/// billing lock (<see cref="ReplyAllowance.LockAsync"/>) so it sees the consumptions committed before it, and every
/// movement's reference is unique per kind, so a retry never writes it twice. The balance is always the sum of rows.
/// </summary>
public sealed class CreditLedger(ContextScopes scopes, TimeProvider clock, ILogger<CreditLedger> log)
{
    /// <summary>Adds replies once per <paramref name="reference"/> (a Checkout Session, an admin grant's id); false when it was there already.</summary>
    public async Task<bool> GrantAsync(Guid tenantId, int replies, string reference, DateTimeOffset? expiresAt, string actor, string? note,
        CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await ReplyAllowance.LockAsync(db, tenantId, ct);
        var grant = CreditEntry.Grant(tenantId, replies, reference, expiresAt, actor, note, clock.GetUtcNow());
        if (await db.CreditEntries.AnyAsync(e => e.TenantId == tenantId && e.Kind == CreditEntryKind.Grant && e.Reference == grant.Reference, ct))
            return false;
        db.CreditEntries.Add(grant);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Takes back what is unused of a grant (a refunded purchase); returns the replies taken back (0 if none or done already).</summary>
    public async Task<int> RefundAsync(Guid tenantId, string grantReference, string actor, string? note, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await ReplyAllowance.LockAsync(db, tenantId, ct);
        var remainder = (await RemaindersAsync(db, tenantId, ct)).FirstOrDefault(r => r.Grant.Reference == grantReference.Trim())
            ?? throw new DomainException("credits.unknown_grant", "There is no such credit grant.");
        if (remainder.Remaining <= 0 || await ClosedAsync(db, tenantId, remainder.Grant.Reference, ct)) return 0;
        db.CreditEntries.Add(CreditEntry.Refund(tenantId, remainder.Remaining, remainder.Grant.Reference, actor, note, clock.GetUtcNow()));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return remainder.Remaining;
    }

    /// <summary>Expires what is left of every grant past its end, once per grant; returns the expiry rows written.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        List<Guid> tenants;
        await using (var system = scopes.ForSystem("credit expiry"))
        {
            tenants = await system.Db.CreditEntries.Where(g => g.Kind == CreditEntryKind.Grant && g.ExpiresAt <= now
                    && !system.Db.CreditEntries.Any(x => x.TenantId == g.TenantId && x.Reference == g.Reference
                                                         && (x.Kind == CreditEntryKind.Expire || x.Kind == CreditEntryKind.Refund)))
                .Select(g => g.TenantId).Distinct().ToListAsync(ct);
        }
        var written = 0;
        foreach (var tenantId in tenants)
        {
            try
            {
                written += await ExpireTenantAsync(tenantId, now, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Credit expiry failed for tenant {TenantId}", tenantId);
            }
        }
        return written;
    }

    private static async Task<int> ExpireTenantAsync(AppDbContext db, Guid tenantId, DateTimeOffset now, CancellationToken ct)
    {
        var written = 0;
        foreach (var r in await RemaindersAsync(db, tenantId, ct))
        {
            if (r.Grant.ExpiresAt is not { } end || end > now || await ClosedAsync(db, tenantId, r.Grant.Reference, ct)) continue;
            // A fully used grant needs no row: nothing is left to expire.
            if (r.Remaining <= 0) continue;
            db.CreditEntries.Add(CreditEntry.Expire(tenantId, r.Remaining, r.Grant.Reference, now));
            written++;
        }
        await db.SaveChangesAsync(ct);
        return written;
    }

    private async Task<int> ExpireTenantAsync(Guid tenantId, DateTimeOffset now, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        await using var tx = await work.Db.Database.BeginTransactionAsync(ct);
        await ReplyAllowance.LockAsync(work.Db, tenantId, ct);
        var written = await ExpireTenantAsync(work.Db, tenantId, now, ct);
        await tx.CommitAsync(ct);
        return written;
    }

    private static Task<bool> ClosedAsync(AppDbContext db, Guid tenantId, string grantReference, CancellationToken ct) =>
        db.CreditEntries.AnyAsync(e => e.TenantId == tenantId && e.Reference == grantReference
                                       && (e.Kind == CreditEntryKind.Expire || e.Kind == CreditEntryKind.Refund), ct);

    /// <summary>
    /// What is left of each grant, oldest first: a grant's own expiry or refund closes it, and consumption is spread
    /// over grants oldest first (FIFO). The sum of the remainders is the balance.
    /// </summary>
    public static async Task<IReadOnlyList<GrantRemainder>> RemaindersAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var rows = await db.CreditEntries.AsNoTracking().Where(e => e.TenantId == tenantId).ToListAsync(ct);
        var closedBy = rows.Where(e => e.Kind is CreditEntryKind.Expire or CreditEntryKind.Refund)
            .GroupBy(e => e.Reference).ToDictionary(g => g.Key, g => g.Sum(e => e.Replies));
        var consumed = -rows.Where(e => e.Kind == CreditEntryKind.Consume).Sum(e => e.Replies);
        var result = new List<GrantRemainder>();
        foreach (var grant in rows.Where(e => e.Kind == CreditEntryKind.Grant).OrderBy(e => e.CreatedAt).ThenBy(e => e.Id))
        {
            var available = Math.Max(0, grant.Replies + closedBy.GetValueOrDefault(grant.Reference));
            var used = Math.Min(available, consumed);
            consumed -= used;
            result.Add(new GrantRemainder(grant, available - used));
        }
        return result;
    }

    /// <summary>The ledger for the billing page and the API: newest first, paged, with the balance (the sum of all rows).</summary>
    public static async Task<CreditLedgerPage> ListAsync(AppDbContext db, Guid tenantId, int page, int pageSize, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 200);
        var query = db.CreditEntries.AsNoTracking().Where(e => e.TenantId == tenantId);
        var total = await query.CountAsync(ct);
        var entries = await query.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id)
            .Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        var balance = await BillingReads.CreditBalanceAsync(db, tenantId, ct);
        return new CreditLedgerPage(entries, total, balance);
    }
}

/// <summary>Quartz job, hourly on one node: what is left of expired credit grants is written off (once per grant).</summary>
[DisallowConcurrentExecution]
public sealed class CreditExpiryJob(CreditLedger ledger) : IJob
{
    public const string Name = "credit-expiry";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct) => await ledger.ExpireDueAsync(ct);
}
