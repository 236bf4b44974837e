using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

/// <summary>
/// The shared SKIP LOCKED claim every high-rate queue uses: concurrent workers each get different rows without waiting,
/// a claimed row stays locked until its worker commits or gives up, and a claim that would not skip locked rows is refused.
/// </summary>
public class WorkQueueClaimTests : IAsyncLifetime
{
    // No webhook workers: the test alone claims the rows it owns.
    private readonly NodeAppFactory _app = new(null, new Dictionary<string, string?> { ["Webhooks:Workers"] = "0", ["Agent:Workers"] = "0" });

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<Guid[]> PendingDeliveriesAsync(int count)
    {
        await using var work = _app.Scopes.ForSystem("test");
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        var rows = Enumerable.Range(0, count).Select(i =>
        {
            var body = RandomNumberGenerator.GetBytes(32);
            return WebhookDelivery.Receive("whatsapp", null, body, Convert.ToHexStringLower(SHA256.HashData(body)), start.AddSeconds(i));
        }).ToList();
        work.Db.WebhookDeliveries.AddRange(rows);
        await work.Db.SaveChangesAsync();
        return rows.Select(r => r.Id).ToArray();
    }

    private static FormattableString OldestOf(Guid[] ids) =>
        $"SELECT * FROM webhook_deliveries WHERE id = ANY({ids}) ORDER BY received_at LIMIT 1 FOR UPDATE SKIP LOCKED";

    [Fact]
    public async Task Concurrent_workers_each_claim_a_different_row_and_a_released_row_is_claimed_again()
    {
        var ids = await PendingDeliveriesAsync(2);
        await using var first = _app.Scopes.ForSystem("worker 1");
        await using var second = _app.Scopes.ForSystem("worker 2");
        await using var third = _app.Scopes.ForSystem("worker 3");

        var one = await first.Db.ClaimAsync<WebhookDelivery>(OldestOf(ids), default);
        await using var two = await second.Db.ClaimAsync<WebhookDelivery>(OldestOf(ids), default);
        Assert.Equal(ids[0], Assert.Single(one.Rows).Id);
        Assert.Equal(ids[1], Assert.Single(two.Rows).Id); // skipped the locked oldest instead of waiting for it
        await using (var none = await third.Db.ClaimAsync<WebhookDelivery>(OldestOf(ids), default))
            Assert.Empty(none.Rows);

        await one.DisposeAsync(); // the worker gave up without committing: the row is free again
        await using var again = await third.Db.ClaimAsync<WebhookDelivery>(OldestOf(ids), default);
        Assert.Equal(ids[0], Assert.Single(again.Rows).Id);
    }

    [Fact]
    public async Task A_claim_keeps_its_rows_locked_until_the_worker_commits_its_outcome()
    {
        var ids = await PendingDeliveriesAsync(1);
        await using var worker = _app.Scopes.ForSystem("worker");
        await using (var claim = await worker.Db.ClaimAsync<WebhookDelivery>(OldestOf(ids), default))
        {
            claim.Rows[0].MarkProcessed([], DateTimeOffset.UtcNow);
            await worker.Db.SaveChangesAsync();
            await using (var other = _app.Scopes.ForSystem("other worker"))
            await using (var meanwhile = await other.Db.ClaimAsync<WebhookDelivery>(OldestOf(ids), default))
                Assert.Empty(meanwhile.Rows);
            await claim.CommitAsync(default);
        }

        await using var check = _app.Scopes.ForSystem("check");
        Assert.Equal(DeliveryState.Processed, (await check.Db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == ids[0])).State);
    }

    [Fact]
    public async Task A_claim_without_SKIP_LOCKED_is_refused_before_it_locks_anything()
    {
        var ids = await PendingDeliveriesAsync(1);
        await using var worker = _app.Scopes.ForSystem("worker");
        await Assert.ThrowsAsync<ArgumentException>(() => worker.Db.ClaimAsync<WebhookDelivery>(
            $"SELECT * FROM webhook_deliveries WHERE id = ANY({ids}) FOR UPDATE", default));
        Assert.Null(worker.Db.Database.CurrentTransaction);
    }
}
