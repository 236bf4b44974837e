using System.Text;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>Where a document's text comes from.</summary>
public enum KnowledgeSource { Text, File, Url }

/// <summary>A pasted text is ready at once; a file or a web page is read in the background first.</summary>
public enum KnowledgeStatus { Processing, Ready, Failed }

/// <summary>
/// Something the business knows (services and prices, hours, policies, FAQ). Split into passages once its text is
/// known; the agent answers only from passages it retrieves, so a disabled document keeps its text but has no
/// passages (nothing can find it, whatever the retrieval query) until it is enabled again.
/// </summary>
public sealed class KnowledgeDocument : ITenantOwned
{
    public const int MaxTitle = 200;
    public const int MaxContent = 200_000;
    public const int MaxSourceName = 2000;
    public const int MaxFailure = 1000;

    private readonly List<KnowledgeChunk> _chunks = [];

    private KnowledgeDocument() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Title { get; private set; } = "";
    public string Content { get; private set; } = "";
    public KnowledgeSource Source { get; private set; }

    /// <summary>The uploaded file's name or the page's URL (null for pasted text).</summary>
    public string? SourceName { get; private set; }

    /// <summary>Size of what was uploaded or fetched, in bytes (pasted text: its UTF-8 size).</summary>
    public long SizeBytes { get; private set; }
    public KnowledgeStatus Status { get; private set; }

    /// <summary>0–100 while processing.</summary>
    public int Progress { get; private set; }

    /// <summary>Why it failed: an error code (translated for people) and the English detail.</summary>
    public string? FailureCode { get; private set; }
    public string? Failure { get; private set; }
    public bool Enabled { get; private set; } = true;

    /// <summary>Processing runs started (a run cut short by a stopped node counts).</summary>
    public int Attempts { get; private set; }

    /// <summary>Until then the processing belongs to the node that claimed it; after, any node may take it over.</summary>
    public DateTimeOffset? LeaseUntil { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public IReadOnlyCollection<KnowledgeChunk> Chunks => _chunks.AsReadOnly();

    /// <summary>Pasted text: checked, split and ready at once.</summary>
    public static KnowledgeDocument Create(Guid tenantId, string? title, string? content, DateTimeOffset now)
    {
        var document = new KnowledgeDocument { Id = Guid.CreateVersion7(now), TenantId = tenantId, Title = CheckTitle(title), CreatedAt = now, Source = KnowledgeSource.Text };
        document.Complete(content, null, now);
        document.SizeBytes = Encoding.UTF8.GetByteCount(document.Content);
        return document;
    }

    /// <summary>A file or web page whose text is still to be read (by the background processing).</summary>
    public static KnowledgeDocument Queue(Guid tenantId, string? title, KnowledgeSource source, string sourceName, long sizeBytes, DateTimeOffset now)
    {
        if (source == KnowledgeSource.Text) throw new ArgumentException("Pasted text is created ready.", nameof(source));
        return new KnowledgeDocument
        {
            Id = Guid.CreateVersion7(now), TenantId = tenantId, Title = CheckTitle(title), Source = source,
            SourceName = sourceName.Length > MaxSourceName ? sourceName[..MaxSourceName] : sourceName, SizeBytes = sizeBytes,
            Status = KnowledgeStatus.Processing, CreatedAt = now, UpdatedAt = now,
        };
    }

    /// <summary>A processing run takes the document until <paramref name="until"/>.</summary>
    public void Claim(DateTimeOffset until)
    {
        Attempts++;
        LeaseUntil = until;
    }

    public void ReportProgress(int percent, DateTimeOffset leaseUntil, DateTimeOffset now)
    {
        if (Status != KnowledgeStatus.Processing) return;
        Progress = Math.Clamp(percent, Progress, 99);
        LeaseUntil = leaseUntil;
        UpdatedAt = now;
    }

    /// <summary>
    /// The text is known: checked, then split into passages (if enabled). <paramref name="title"/> replaces a
    /// provisional one (a web page's own title). Throws <see cref="DomainException"/> for text that cannot be used.
    /// </summary>
    public void Complete(string? content, string? title, DateTimeOffset now)
    {
        content = content?.Replace("\r\n", "\n").Trim() ?? "";
        if (content.Length == 0) throw new DomainException("knowledge.content", "The document has no text.");
        if (content.Length > MaxContent)
            throw new DomainException("knowledge.content_length", $"A document is at most {MaxContent:N0} characters; split it into several.", MaxContent);
        if (!string.IsNullOrWhiteSpace(title)) Title = Truncate(title.Trim(), MaxTitle);
        Content = content;
        Status = KnowledgeStatus.Ready;
        Progress = 100;
        FailureCode = Failure = null;
        LeaseUntil = null;
        UpdatedAt = now;
        Split(now);
    }

    public void Fail(string code, string reason, DateTimeOffset now)
    {
        Status = KnowledgeStatus.Failed;
        FailureCode = code;
        Failure = Truncate(reason, MaxFailure);
        LeaseUntil = null;
        UpdatedAt = now;
        _chunks.Clear();
    }

    /// <summary>Off: its passages go (nothing retrieves it); the text stays for when it is switched back on.</summary>
    public bool SetEnabled(bool enabled, DateTimeOffset now)
    {
        if (Enabled == enabled) return false;
        Enabled = enabled;
        UpdatedAt = now;
        if (enabled) Split(now);
        else _chunks.Clear();
        return true;
    }

    private void Split(DateTimeOffset now)
    {
        _chunks.Clear();
        if (!Enabled || Status != KnowledgeStatus.Ready) return;
        var ordinal = 0;
        foreach (var text in KnowledgeChunker.Split(Content))
            _chunks.Add(new KnowledgeChunk(Guid.CreateVersion7(now), TenantId, Id, ordinal++, Title, text));
    }

    private static string CheckTitle(string? title)
    {
        title = title?.Trim() ?? "";
        if (title.Length is 0 or > MaxTitle)
            throw new DomainException("knowledge.title", $"A title is required (at most {MaxTitle} characters).", MaxTitle);
        return title;
    }

    private static string Truncate(string value, int max) => value.Length > max ? value[..max] : value;
}

/// <summary>One passage of a document: what retrieval finds and the model reads.</summary>
public sealed class KnowledgeChunk : ITenantOwned
{
    private KnowledgeChunk() { }

    internal KnowledgeChunk(Guid id, Guid tenantId, Guid documentId, int ordinal, string title, string text)
    {
        Id = id;
        TenantId = tenantId;
        DocumentId = documentId;
        Ordinal = ordinal;
        Title = title;
        Text = text;
    }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid DocumentId { get; private set; }
    public int Ordinal { get; private set; }

    /// <summary>The document's title, kept with each passage so a heading like "Precios" helps find it.</summary>
    public string Title { get; private set; } = "";
    public string Text { get; private set; } = "";
}

/// <summary>
/// Splits text into passages of about <see cref="Target"/> characters on paragraph boundaries (then sentences, then
/// words), never mid-word, so each passage is a readable unit a customer's question can match.
/// </summary>
public static class KnowledgeChunker
{
    public const int Target = 800;

    public static IReadOnlyList<string> Split(string text, int target = Target)
    {
        var pieces = new List<string>();
        foreach (var paragraph in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (paragraph.Length <= target) pieces.Add(paragraph);
            else pieces.AddRange(SplitLong(paragraph, target));
        }
        // Short paragraphs (a heading and its lines) travel together up to the target size.
        var chunks = new List<string>();
        var current = new StringBuilder();
        foreach (var piece in pieces)
        {
            if (current.Length > 0 && current.Length + 2 + piece.Length > target)
            {
                chunks.Add(current.ToString());
                current.Clear();
            }
            if (current.Length > 0) current.Append("\n\n");
            current.Append(piece);
        }
        if (current.Length > 0) chunks.Add(current.ToString());
        return chunks;
    }

    private static IEnumerable<string> SplitLong(string paragraph, int target)
    {
        var current = new StringBuilder();
        foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var sentenceEnd = current.Length > target * 0.6 && current.Length > 0 && ".!?".Contains(current[^1]);
            if (current.Length > 0 && (current.Length + 1 + word.Length > target || sentenceEnd))
            {
                yield return current.ToString();
                current.Clear();
            }
            if (current.Length > 0) current.Append(' ');
            // A single "word" longer than the target (a URL, a table row) is cut rather than dropped.
            current.Append(word.Length > target ? word[..target] : word);
        }
        if (current.Length > 0) yield return current.ToString();
    }
}

/// <summary>An uploaded file kept until its document has been read (in the database, so any node can read it after a restart).</summary>
public sealed class KnowledgeFile : ITenantOwned
{
    private KnowledgeFile() { }

    public Guid DocumentId { get; private set; }
    public Guid TenantId { get; private set; }
    public byte[] Content { get; private set; } = [];

    public static KnowledgeFile For(KnowledgeDocument document, byte[] content) =>
        new() { DocumentId = document.Id, TenantId = document.TenantId, Content = content };
}
