using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Billing;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Billing;

public class CreditLedgerTests(AgentApp agent) : IClassFixture<AgentApp>
{
    private static async Task<int> BalanceAsync(ConsoleAppFactory app, Guid tenantId)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await BillingReads.CreditBalanceAsync(work.Db, tenantId, default);
    }

    [Fact]
    public async Task Credits_are_consumed_exactly_once_per_reply_with_two_nodes_and_the_balance_ends_at_zero()
    {
        // A second app instance on the same database, running its own agent worker: two nodes taking turns at once.
        await using var second = new NodeAppFactory(agent.App.Database, AgentApp.Settings(agent.Llm));
        await second.InitializeAsync();
        var business = await TestCustomer.CreateAsync(agent.App);
        await agent.App.SetPlanAsync(business.TenantId, Plan.Starter);
        await agent.App.SeedRepliesAsync(business.TenantId, PlanCatalog.For(Plan.Starter).RepliesPerDay!.Value);
        var ledger = agent.App.Services.GetRequiredService<CreditLedger>();
        Assert.True(await ledger.GrantAsync(business.TenantId, 8, "cs_test_" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.AddDays(365), "test", null));

        await BillingTestData.ManyWriteAsync([agent.App, second], business, 20, "Hola, ¿precio de la limpieza?");
        var outcome = await BillingTestData.SettledOutcomeAsync(agent.App, business.TenantId, 20);

        Assert.Equal(8, outcome.Answered);
        Assert.Equal(12, outcome.PlanLimited);
        Assert.Equal(0, await BalanceAsync(agent.App, business.TenantId));
        await using var work = agent.App.Scopes.ForTenant(business.TenantId);
        var consumed = await work.Db.CreditEntries.AsNoTracking().Where(e => e.Kind == CreditEntryKind.Consume).ToListAsync();
        var creditReplies = await work.Db.AiReplyUsage.AsNoTracking().Where(u => u.FundedBy == ReplyFunding.Credit).ToListAsync();
        Assert.Equal(8, consumed.Count);
        Assert.Equal(creditReplies.Select(u => u.Id.ToString()).Order(), consumed.Select(c => c.Reference).Order());
    }

    [Fact]
    public async Task A_grant_is_written_once_per_reference_and_a_refund_takes_back_only_what_is_unused()
    {
        var tenant = await agent.App.TenantAsync();
        var ledger = agent.App.Services.GetRequiredService<CreditLedger>();
        var reference = "cs_test_" + Guid.NewGuid().ToString("N");
        Assert.True(await ledger.GrantAsync(tenant.Id, 10, reference, null, "test", null));
        Assert.False(await ledger.GrantAsync(tenant.Id, 10, reference, null, "test", null));
        await using (var work = agent.App.Scopes.ForTenant(tenant.Id))
        {
            for (var i = 0; i < 3; i++) work.Db.CreditEntries.Add(CreditEntry.Consume(tenant.Id, Guid.NewGuid().ToString(), DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }

        Assert.Equal(7, await ledger.RefundAsync(tenant.Id, reference, "test", "refunded in Stripe"));
        Assert.Equal(0, await ledger.RefundAsync(tenant.Id, reference, "test", "again"));
        Assert.Equal(0, await BalanceAsync(agent.App, tenant.Id));
    }

    [Fact]
    public async Task The_ledger_lists_newest_first_in_pages_with_the_balance_as_the_sum_of_its_rows()
    {
        var tenant = await agent.App.TenantAsync();
        var ledger = agent.App.Services.GetRequiredService<CreditLedger>();
        for (var i = 1; i <= 5; i++) await ledger.GrantAsync(tenant.Id, i * 10, $"grant-{i}", null, "test", null);

        await using var work = agent.App.Scopes.ForTenant(tenant.Id);
        var first = await CreditLedger.ListAsync(work.Db, tenant.Id, page: 1, pageSize: 2, default);
        var third = await CreditLedger.ListAsync(work.Db, tenant.Id, page: 3, pageSize: 2, default);

        Assert.Equal(5, first.Total);
        Assert.Equal(150, first.Balance);
        Assert.Equal(["grant-5", "grant-4"], first.Entries.Select(e => e.Reference));
        Assert.Equal(["grant-1"], third.Entries.Select(e => e.Reference));
    }
}

public class CreditExpiryTests : IAsyncLifetime
{
    private readonly FakeClockAppFactory _app = new();

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task What_is_left_of_an_expired_grant_expires_once_oldest_grant_used_first_even_if_the_job_runs_twice()
    {
        var tenant = await _app.TenantAsync();
        var ledger = _app.Services.GetRequiredService<CreditLedger>();
        var now = _app.Clock.GetUtcNow();
        await ledger.GrantAsync(tenant.Id, 10, "old", now.AddDays(30), "test", null);
        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        await ledger.GrantAsync(tenant.Id, 10, "new", now.AddDays(365), "test", null);
        await using (var work = _app.Scopes.ForTenant(tenant.Id))
        {
            // Four replies paid by credits: FIFO takes them from the older grant.
            for (var i = 0; i < 4; i++) work.Db.CreditEntries.Add(CreditEntry.Consume(tenant.Id, Guid.NewGuid().ToString(), _app.Clock.GetUtcNow()));
            await work.Db.SaveChangesAsync();
        }

        Assert.Equal(0, await ledger.ExpireDueAsync()); // nothing is due yet
        _app.Clock.Advance(TimeSpan.FromDays(31));
        await Task.WhenAll(ledger.ExpireDueAsync(), ledger.ExpireDueAsync());
        await ledger.ExpireDueAsync();

        await using var check = _app.Scopes.ForTenant(tenant.Id);
        var expiries = await check.Db.CreditEntries.AsNoTracking().Where(e => e.Kind == CreditEntryKind.Expire).ToListAsync();
        var expiry = Assert.Single(expiries);
        Assert.Equal(("old", -6), (expiry.Reference, expiry.Replies));
        Assert.Equal(10, await BillingReads.CreditBalanceAsync(check.Db, tenant.Id, default));
    }
}
