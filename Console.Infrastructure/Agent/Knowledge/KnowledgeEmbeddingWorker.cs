using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

/// <summary>Wakes this node's embedding worker when a passage was just written here.</summary>
public sealed class KnowledgeEmbeddingSignal
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        try { _wake.Release(); } catch (SemaphoreFullException) { } // already awake: one wake is enough
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _wake.WaitAsync(timeout, ct);
}

/// <summary>
/// Gives every passage a vector in the background. The queue is the passages themselves: a new row is due at once
/// (column default), a claim leases a batch with <c>FOR UPDATE SKIP LOCKED</c> (so two nodes never embed the same
/// passage) by pushing its due time past a lease that doubles with each attempt, and a stored vector clears it. A node
/// that dies or an endpoint that fails leaves the lease to run out, and any node retries, up to <see cref="MaxAttempts"/>.
/// Passages written before embeddings were configured, or under another model, are the same queue (the backfill).
/// </summary>
public sealed class KnowledgeEmbeddingWorker(ContextScopes scopes, KnowledgeEmbeddings embeddings, IVectorIndex index,
    KnowledgeEmbeddingSignal signal, IOptions<LlmOptions> options, TimeProvider clock, ILogger<KnowledgeEmbeddingWorker> log) : BackgroundService
{
    public const int MaxAttempts = 6;
    public const int BatchSize = 64;
    private static readonly TimeSpan FirstLease = TimeSpan.FromSeconds(60);

    private sealed record ClaimRow(Guid Id, Guid TenantId, string Title, string Text);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!embeddings.IsEnabled) return;
        await Task.Yield();
        var poll = TimeSpan.FromSeconds(options.Value.EmbeddingPollSeconds);
        var requeued = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!requeued)
                {
                    await RequeueOtherModelsAsync(stoppingToken);
                    requeued = true;
                }
                // A full batch means more may be waiting: go again at once.
                if (await RunOnceAsync(stoppingToken) >= BatchSize) continue;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogError(ex, "Embedding knowledge passages failed; the claimed passages are retried when their lease ends");
            }
            try
            {
                await signal.WaitAsync(poll, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Passages embedded by a model no longer configured are due again (their vectors no longer count).</summary>
    public async Task<int> RequeueOtherModelsAsync(CancellationToken ct)
    {
        await using var work = scopes.ForSystem("knowledge embedding model change");
        return await work.Db.Database.ExecuteSqlAsync($"""
            UPDATE knowledge_chunks SET embedding_due_at = {clock.GetUtcNow()}, embedding_attempts = 0
            WHERE embedding_due_at IS NULL AND embedding_model IS DISTINCT FROM {embeddings.Model}
            """, ct);
    }

    /// <summary>Claims one batch of due passages and embeds them, tenant by tenant; returns how many were claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        List<ClaimRow> claimed;
        await using (var work = scopes.ForSystem("knowledge embedding claim"))
        {
            claimed = await work.Db.Database.SqlQuery<ClaimRow>($"""
                UPDATE knowledge_chunks c
                SET embedding_due_at = {now} + make_interval(secs => {FirstLease.TotalSeconds} * power(2, c.embedding_attempts)),
                    embedding_attempts = c.embedding_attempts + 1
                WHERE c.id IN (SELECT id FROM knowledge_chunks
                               WHERE embedding_due_at <= {now} AND embedding_attempts < {MaxAttempts}
                               ORDER BY embedding_due_at LIMIT {BatchSize} FOR UPDATE SKIP LOCKED)
                RETURNING c.id, c.tenant_id, c.title, c.text
                """).ToListAsync(ct);
        }
        foreach (var tenant in claimed.GroupBy(c => c.TenantId))
        {
            try
            {
                var rows = tenant.ToList();
                var vectors = await embeddings.EmbedAsync(tenant.Key, rows.Select(r => KnowledgeEmbeddings.PassageText(r.Title, r.Text)).ToList(), ct);
                await using var work = scopes.ForTenant(tenant.Key);
                for (var i = 0; i < rows.Count; i++) await index.SaveAsync(work.Db, rows[i].Id, vectors[i], embeddings.Model, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // One tenant's failure (a rejected text, an endpoint hiccup) does not hold back the others' passages.
                log.LogWarning(ex, "Embedding {Count} knowledge passages of tenant {TenantId} failed; they are retried later", tenant.Count(), tenant.Key);
            }
        }
        return claimed.Count;
    }
}
