using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Hosting;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

/// <summary>
/// Reads queued knowledge documents on every node: claims one nobody holds (a lease renewed with each progress step,
/// so a stopped node's document is taken over once its lease passes), reads the file or page, and stores the text and
/// its passages in one transaction. A document that keeps stopping its readers fails after Knowledge:MaxAttempts.
/// </summary>
public sealed class KnowledgeWorker(ContextScopes scopes, KnowledgeProcessor processor, KnowledgeSignal signal, TimeProvider clock,
    ILogger<KnowledgeWorker> log) : WorkLoop(log)
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    protected override int Workers => 1;

    protected override async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        Guid id, tenantId;
        await using (var work = scopes.ForSystem("knowledge claim"))
        {
            var now = clock.GetUtcNow();
#pragma warning disable EF1002 // the only interpolation is an enum name (a literal, so the partial index matches); times are parameters
            var claimed = await work.Db.Database.SqlQueryRaw<Guid>($"""
                UPDATE knowledge_documents SET lease_until = @until, attempts = attempts + 1
                WHERE id = (SELECT id FROM knowledge_documents WHERE status = '{nameof(KnowledgeStatus.Processing)}' AND (lease_until IS NULL OR lease_until < @now)
                            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id AS "Value"
                """, new NpgsqlParameter("until", now + Lease), new NpgsqlParameter("now", now)).ToListAsync(ct);
#pragma warning restore EF1002
            if (claimed.Count == 0) return false;
            id = claimed[0];
            tenantId = await work.Db.KnowledgeDocuments.Where(d => d.Id == id).Select(d => d.TenantId).SingleAsync(ct);
        }
        await processor.ProcessAsync(tenantId, id, ct);
        return true;
    }

    protected override Task IdleAsync(CancellationToken ct) => signal.WaitAsync(TimeSpan.FromSeconds(5), ct);
}

/// <summary>Reads one claimed document: its stored file, or its web page through the guarded network.</summary>
public sealed class KnowledgeProcessor(ContextScopes scopes, IHttpClientFactory http, IOptionsMonitor<KnowledgeOptions> options, AgentProfiles profiles,
    TimeProvider clock, ILogger<KnowledgeProcessor> log)
{
    public const string HttpClientName = "knowledge-pages";

    public async Task ProcessAsync(Guid tenantId, Guid documentId, CancellationToken ct)
    {
        KnowledgeDocument? document;
        await using (var work = scopes.ForTenant(tenantId))
            document = await work.Db.KnowledgeDocuments.AsNoTracking().SingleOrDefaultAsync(d => d.Id == documentId, ct);
        if (document is not { Status: KnowledgeStatus.Processing }) return;
        if (document.Attempts > options.CurrentValue.MaxAttempts)
        {
            await FinishAsync(tenantId, documentId, d => d.Fail("knowledge.gave_up", "Reading this document stopped several times; add it again.", clock.GetUtcNow()), ct);
            return;
        }
        try
        {
            var (text, title) = document.Source == KnowledgeSource.Url
                ? await FetchPageAsync(tenantId, document, ct)
                : (await ReadFileAsync(tenantId, document, ct), null);
            await FinishAsync(tenantId, documentId, d => d.Complete(text, title, clock.GetUtcNow()), ct);
            log.LogInformation("Knowledge document {DocumentId} ready", documentId);
        }
        catch (Exception ex) when (Refusal(ex) is { } refusal && !ct.IsCancellationRequested)
        {
            log.LogWarning("Knowledge document {DocumentId} failed ({Code}): {Reason}", documentId, refusal.Code, refusal.Reason);
            await FinishAsync(tenantId, documentId, d => d.Fail(refusal.Code, refusal.Reason, clock.GetUtcNow()), ct);
        }
    }

    private static (string Code, string Reason)? Refusal(Exception ex) => ex switch
    {
        KnowledgeRefusedException r => (r.Code, r.Message),
        DomainException d => (d.Code, d.Message),
        _ when GuardedNetwork.Blocked(ex) is { } b => ("knowledge.url_blocked", $"That address cannot be reached from here: {b.Message}."),
        HttpRequestException or TaskCanceledException or IOException => ("knowledge.fetch_failed", $"The page could not be fetched: {ex.Message}"),
        _ => null,
    };

    /// <summary>The document's outcome and the end of its file, in one transaction; nothing if it was deleted meanwhile.</summary>
    private async Task FinishAsync(Guid tenantId, Guid documentId, Action<KnowledgeDocument> outcome, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var document = await work.Db.KnowledgeDocuments.Include(d => d.Chunks).SingleOrDefaultAsync(d => d.Id == documentId, ct);
        if (document is not { Status: KnowledgeStatus.Processing }) return;
        try
        {
            outcome(document);
        }
        catch (DomainException ex)
        {
            document.Fail(ex.Code, ex.Message, clock.GetUtcNow());
        }
        KnowledgeBase.TrackNewChunks(work.Db, document);
        await work.Db.KnowledgeFiles.Where(f => f.DocumentId == documentId).ExecuteDeleteAsync(ct);
        await work.Db.SaveChangesAsync(ct);
        profiles.Forget(tenantId);
    }

    private async Task ReportAsync(Guid tenantId, Guid documentId, int percent, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var document = await work.Db.KnowledgeDocuments.SingleOrDefaultAsync(d => d.Id == documentId, ct);
        if (document is null) return;
        var now = clock.GetUtcNow();
        document.ReportProgress(percent, now + KnowledgeWorker.Lease, now);
        await work.Db.SaveChangesAsync(ct);
    }

    private async Task<string> ReadFileAsync(Guid tenantId, KnowledgeDocument document, CancellationToken ct)
    {
        byte[]? content;
        await using (var work = scopes.ForTenant(tenantId))
            content = await work.Db.KnowledgeFiles.Where(f => f.DocumentId == document.Id).Select(f => f.Content).SingleOrDefaultAsync(ct);
        if (content is null) throw new KnowledgeRefusedException("knowledge.unreadable", "The uploaded file is missing.");
        var kind = KnowledgeExtractor.Identify(document.SourceName, content);
        await ReportAsync(tenantId, document.Id, 5, ct);
        var lastReported = 5;
        var text = await KnowledgeExtractor.ExtractAsync(kind, content, async fraction =>
        {
            // Reading is most of the work; a step is stored every 5 % so the list moves without a write per page.
            var percent = 5 + (int)(fraction * 85);
            if (percent - lastReported < 5) return;
            lastReported = percent;
            await ReportAsync(tenantId, document.Id, percent, ct);
        }, ct);
        await ReportAsync(tenantId, document.Id, 95, ct);
        return text;
    }

    private async Task<(string Text, string? Title)> FetchPageAsync(Guid tenantId, KnowledgeDocument document, CancellationToken ct)
    {
        var limits = options.CurrentValue;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(limits.FetchTimeoutSeconds));
        await ReportAsync(tenantId, document.Id, 10, ct);
        using var response = await GuardedNetwork.GetFollowingRedirectsAsync(http.CreateClient(HttpClientName), new Uri(document.SourceName!), target =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, target);
            request.Headers.Accept.ParseAdd("text/html, text/plain;q=0.9, */*;q=0.1");
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("ConsoleKnowledge", "1.0"));
            return request;
        }, _ => null, limits.MaxRedirects, timeout.Token);
        if (!response.IsSuccessStatusCode)
            throw new KnowledgeRefusedException("knowledge.fetch_failed", $"The page answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        if (response.Content.Headers.ContentLength > limits.MaxFileBytes)
            throw new KnowledgeRefusedException("knowledge.page_too_large", $"The page is larger than {limits.MaxFileMegabytes} MB.");
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
        {
            if (buffer.Length + read > limits.MaxFileBytes)
                throw new KnowledgeRefusedException("knowledge.page_too_large", $"The page is larger than {limits.MaxFileMegabytes} MB.");
            buffer.Write(chunk, 0, read);
        }
        await ReportAsync(tenantId, document.Id, 60, ct);
        var bytes = buffer.ToArray();
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        var charset = response.Content.Headers.ContentType?.CharSet;
        string body;
        try
        {
            body = string.IsNullOrEmpty(charset) ? Encoding.UTF8.GetString(bytes) : Encoding.GetEncoding(charset.Trim('"')).GetString(bytes);
        }
        catch (ArgumentException)
        {
            body = Encoding.UTF8.GetString(bytes);
        }
        await using (var work = scopes.ForTenant(tenantId))
        {
            // A page's size is known only now: it counts against the plan's knowledge like an uploaded file (this
            // document still counts 0), and a page that does not fit fails with the plan's reason.
            await KnowledgeSources.RequireRoomAsync(work.Db, tenantId, bytes.LongLength, ct);
            await work.Db.KnowledgeDocuments.Where(d => d.Id == document.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.SizeBytes, bytes.LongLength), ct);
        }
        if (mediaType is "text/plain" or "text/markdown") return (body, null);
        if (mediaType is not ("text/html" or "application/xhtml+xml" or ""))
            throw new KnowledgeRefusedException("knowledge.page_type", $"The address is not a web page ({mediaType}).");
        return KnowledgeExtractor.HtmlText(body);
    }
}
