using System.Text;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// Something the business knows (services and prices, hours, policies, FAQ). Split into passages on upload; the agent
/// answers only from passages it retrieves.
/// </summary>
public sealed class KnowledgeDocument : ITenantOwned
{
    public const int MaxTitle = 200;
    public const int MaxContent = 200_000;

    private readonly List<KnowledgeChunk> _chunks = [];

    private KnowledgeDocument() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Title { get; private set; } = "";
    public string Content { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public IReadOnlyCollection<KnowledgeChunk> Chunks => _chunks.AsReadOnly();

    public static KnowledgeDocument Create(Guid tenantId, string? title, string? content, DateTimeOffset now)
    {
        title = title?.Trim() ?? "";
        content = content?.Replace("\r\n", "\n").Trim() ?? "";
        if (title.Length is 0 or > MaxTitle)
            throw new DomainException("knowledge.title", $"A title is required (at most {MaxTitle} characters).", MaxTitle);
        if (content.Length == 0) throw new DomainException("knowledge.content", "The document has no text.");
        if (content.Length > MaxContent)
            throw new DomainException("knowledge.content_length", $"A document is at most {MaxContent:N0} characters; split it into several.", MaxContent);
        var document = new KnowledgeDocument { Id = Guid.CreateVersion7(now), TenantId = tenantId, Title = title, Content = content, CreatedAt = now, UpdatedAt = now };
        var ordinal = 0;
        foreach (var text in KnowledgeChunker.Split(content))
            document._chunks.Add(new KnowledgeChunk(Guid.CreateVersion7(now), tenantId, document.Id, ordinal++, title, text));
        return document;
    }
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
