using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

/// <summary>
/// The intake's group commit: deliveries arriving together are stored in shared transactions, each request still
/// learns whether its own row was stored, and one row the database refuses never costs the others their answer.
/// </summary>
public class WebhookInboxTests : IAsyncLifetime
{
    // Rows are stored as kept-for-review (Failed), so no processor picks them up while the test reads them.
    private readonly NodeAppFactory _app = new(null, new Dictionary<string, string?> { ["Webhooks:Workers"] = "0", ["Agent:Workers"] = "0" });

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static InboxRow Row(string source = "whatsapp", string? hash = null)
    {
        var body = RandomNumberGenerator.GetBytes(64);
        var now = DateTimeOffset.UtcNow;
        return new InboxRow(Guid.CreateVersion7(now), source, null, body, hash ?? Convert.ToHexStringLower(SHA256.HashData(body)),
            nameof(DeliveryState.Failed), "test row", now, null);
    }

    private async Task<List<(Guid Id, string Transaction)>> StoredAsync(IEnumerable<Guid> ids)
    {
        var wanted = ids.ToArray();
        await using var work = _app.Scopes.ForSystem("test");
        return (await work.Db.Database.SqlQuery<StoredRow>($"SELECT id AS \"Id\", xmin::text AS \"Transaction\" FROM webhook_deliveries WHERE id = ANY({wanted})")
            .ToListAsync()).Select(r => (r.Id, r.Transaction)).ToList();
    }

    private sealed record StoredRow(Guid Id, string Transaction);

    [Fact]
    public async Task Deliveries_arriving_together_share_commits_and_each_learns_whether_it_was_stored()
    {
        var inbox = _app.Services.GetRequiredService<WebhookInbox>();
        var rows = Enumerable.Range(0, 100).Select(_ => Row()).ToList();
        // Ten retries of earlier rows (same source and body hash), arriving in the same burst.
        var retries = Enumerable.Range(0, 10).Select(i => rows[i * 10] with { Id = Guid.CreateVersion7() }).ToList();
        var all = rows.Concat(retries).ToList();

        var answers = await Task.WhenAll(all.Select(inbox.StoreAsync));

        // One copy of each delivery is stored, and every request learns truthfully whether it was its own.
        var stored = await StoredAsync(all.Select(r => r.Id));
        Assert.Equal(rows.Count, stored.Count);
        Assert.Equal(all.Where((_, i) => answers[i]).Select(r => r.Id).Order(), stored.Select(s => s.Id).Order());
        Assert.All(rows.Select(r => r.BodyHash).Distinct(), hash => Assert.Single(all.Where((r, i) => answers[i] && r.BodyHash == hash)));
        // 100 requests within a fraction of a millisecond: a commit per request would be 100 transactions.
        Assert.InRange(stored.Select(s => s.Transaction).Distinct().Count(), 1, 20);
    }

    [Fact]
    public async Task Retries_arriving_in_other_groups_than_their_originals_never_fail_a_request()
    {
        var inbox = _app.Services.GetRequiredService<WebhookInbox>();
        for (var round = 0; round < 5; round++)
        {
            // The originals, then their retries in reverse order: the writers' groups overlap in opposite key orders.
            var rows = Enumerable.Range(0, 300).Select(_ => Row()).ToList();
            var retries = rows.AsEnumerable().Reverse().Select(r => r with { Id = Guid.CreateVersion7() }).ToList();

            var answers = await Task.WhenAll(rows.Concat(retries).Select(inbox.StoreAsync));

            Assert.Equal(rows.Count, answers.Count(stored => stored)); // a deadlock would have failed a group of requests
            Assert.Equal(rows.Count, (await StoredAsync(rows.Concat(retries).Select(r => r.Id))).Count);
        }
    }

    [Fact]
    public async Task A_row_the_database_refuses_fails_alone_and_the_rest_of_its_group_is_stored()
    {
        var inbox = _app.Services.GetRequiredService<WebhookInbox>();
        var good = Enumerable.Range(0, 30).Select(_ => Row()).ToList();
        var refused = Row(hash: "nul\0byte"); // PostgreSQL text cannot hold a NUL character
        var tasks = good.Take(15).Select(inbox.StoreAsync).Append(inbox.StoreAsync(refused)).Concat(good.Skip(15).Select(inbox.StoreAsync)).ToList();

        var failure = await Record.ExceptionAsync(() => tasks[15]);

        Assert.NotNull(failure);
        Assert.All(await Task.WhenAll(tasks.Where((_, i) => i != 15)), Assert.True);
        Assert.Equal(good.Select(r => r.Id).Order(), (await StoredAsync(good.Select(r => r.Id).Append(refused.Id))).Select(s => s.Id).Order());
    }
}
