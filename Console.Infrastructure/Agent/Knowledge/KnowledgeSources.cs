using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

/// <summary>Knowledge files and web pages. Keys: Knowledge:*.</summary>
public sealed class KnowledgeOptions
{
    /// <summary>Largest file uploaded or page fetched, in megabytes.</summary>
    [Range(1, 100)] public int MaxFileMegabytes { get; set; } = 10;

    /// <summary>How long a web page may take to arrive.</summary>
    [Range(1, 300)] public int FetchTimeoutSeconds { get; set; } = 20;

    /// <summary>Redirects followed for one page; each is checked like the URL itself.</summary>
    [Range(0, 20)] public int MaxRedirects { get; set; } = 3;

    /// <summary>Processing runs before a document that keeps stopping (a node dying on it) is marked failed.</summary>
    [Range(1, 20)] public int MaxAttempts { get; set; } = 3;

    public long MaxFileBytes => MaxFileMegabytes * 1024L * 1024;
}

/// <summary>Who changed the knowledge base, for the audit log.</summary>
public sealed record KnowledgeActor(Guid? UserId, string Name);

/// <summary>Wakes this node's knowledge worker when a document is queued here (other nodes poll).</summary>
public sealed class KnowledgeSignal
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Wake() => _signal.Release();

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

/// <summary>
/// Adds files and web pages to a tenant's knowledge: the request is checked and stored at once (a
/// <see cref="KnowledgeDocument"/> in Processing, the file beside it in the database) and answered; the
/// <see cref="KnowledgeWorker"/> on any node reads it in the background.
/// </summary>
public sealed class KnowledgeSources(ContextScopes scopes, GuardedNetwork network, IOptionsMonitor<KnowledgeOptions> options, KnowledgeSignal signal,
    TimeProvider clock, ILogger<KnowledgeSources> log)
{
    public long MaxFileBytes => options.CurrentValue.MaxFileBytes;

    /// <summary>Reads an upload within the size limit.</summary>
    public async Task<byte[]> ReadUploadAsync(Stream upload, CancellationToken ct)
    {
        var max = MaxFileBytes;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await upload.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max) throw TooLarge();
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public KnowledgeRefusedException TooLarge() =>
        new("knowledge.too_large", $"The file is larger than {options.CurrentValue.MaxFileMegabytes} MB.", options.CurrentValue.MaxFileMegabytes);

    /// <summary>Stores an uploaded file for reading; refuses (before storing anything) a file whose bytes are not what its name says.</summary>
    public async Task<Guid> AddFileAsync(Guid tenantId, string fileName, byte[] content, KnowledgeActor actor, CancellationToken ct)
    {
        if (content.LongLength > MaxFileBytes) throw TooLarge();
        KnowledgeExtractor.Identify(fileName, content);
        var name = Path.GetFileName(fileName);
        var title = Path.GetFileNameWithoutExtension(name);
        await using var work = scopes.ForTenant(tenantId, actor.UserId);
        await RequireRoomAsync(work.Db, tenantId, content.LongLength, ct);
        var now = clock.GetUtcNow();
        var document = KnowledgeDocument.Queue(tenantId, title.Length > KnowledgeDocument.MaxTitle ? title[..KnowledgeDocument.MaxTitle] : title,
            KnowledgeSource.File, name, content.LongLength, now);
        work.Db.KnowledgeDocuments.Add(document);
        work.Db.KnowledgeFiles.Add(KnowledgeFile.For(document, content));
        work.Db.AuditEntries.Add(Audit(document, actor, "knowledge.added", now));
        await work.Db.SaveChangesAsync(ct);
        log.LogInformation("Knowledge file {DocumentId} queued ({Bytes} bytes)", document.Id, content.LongLength);
        signal.Wake();
        return document.Id;
    }

    /// <summary>
    /// Queues a web page, read once in the background. An address that is not http(s), or whose host resolves only to
    /// private, loopback or link-local addresses (outside Network:PrivateAllowlist), is refused here; the fetch
    /// checks again at connect time and on every redirect.
    /// </summary>
    public async Task<Guid> AddUrlAsync(Guid tenantId, string? url, string? title, KnowledgeActor actor, CancellationToken ct)
    {
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var target) || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps)
            || target.AbsoluteUri.Length > KnowledgeDocument.MaxSourceName)
            throw new KnowledgeRefusedException("knowledge.url", "Enter a web address starting with http:// or https://.");
        if (!string.IsNullOrEmpty(target.UserInfo)) throw new KnowledgeRefusedException("knowledge.url", "Enter a web address starting with http:// or https://.");
        try
        {
            await NetworkPolicy.AllowedAddressesAsync(target.IdnHost, target.Port, network.Allowlist, null, null, ct);
        }
        catch (BlockedDestinationException ex)
        {
            throw new KnowledgeRefusedException("knowledge.url_blocked", $"That address cannot be reached from here: {ex.Message}.");
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new KnowledgeRefusedException("knowledge.url_blocked", $"That address cannot be reached from here: {ex.Message}.");
        }
        await using var work = scopes.ForTenant(tenantId, actor.UserId);
        // Its size is known once fetched (checked again then); a knowledge base already full is refused now.
        await RequireRoomAsync(work.Db, tenantId, 1, ct);
        var now = clock.GetUtcNow();
        var provisional = string.IsNullOrWhiteSpace(title) ? target.Host + target.AbsolutePath.TrimEnd('/') : title.Trim();
        var document = KnowledgeDocument.Queue(tenantId, provisional.Length > KnowledgeDocument.MaxTitle ? provisional[..KnowledgeDocument.MaxTitle] : provisional,
            KnowledgeSource.Url, target.AbsoluteUri, 0, now);
        work.Db.KnowledgeDocuments.Add(document);
        work.Db.AuditEntries.Add(Audit(document, actor, "knowledge.added", now));
        await work.Db.SaveChangesAsync(ct);
        signal.Wake();
        return document.Id;
    }

    /// <summary>The plan bounds the knowledge a tenant stores (the sum of its documents' sizes).</summary>
    internal static async Task RequireRoomAsync(Data.AppDbContext db, Guid tenantId, long adding, CancellationToken ct) =>
        Billing.PlanGates.RequireRoom(await Billing.PlanGates.LimitsAsync(db, tenantId, ct), Billing.PlanLimitKind.KnowledgeBytes,
            await db.KnowledgeDocuments.SumAsync(d => (long?)d.SizeBytes, ct) ?? 0, adding);

    internal static AuditEntry Audit(KnowledgeDocument document, KnowledgeActor actor, string action, DateTimeOffset now, string? before = null) =>
        AuditEntry.Change(document.TenantId, actor.UserId, actor.Name, action, nameof(KnowledgeDocument), document.Id.ToString(),
            before, action == "knowledge.deleted" ? null : Snapshot(document), now, document.Title);

    internal static string Snapshot(KnowledgeDocument document) => System.Text.Json.JsonSerializer.Serialize(new
    {
        title = document.Title, source = document.Source.ToString(), sourceName = document.SourceName, enabled = document.Enabled,
    });
}
