using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

/// <summary>
/// A retrieved passage. <see cref="Rank"/> orders one answer's passages (higher first). With embeddings on it is the
/// reciprocal-rank-fusion score scaled to (0, 1]: 1 = first both by words and by meaning, 0.5 = first by one of them and
/// not found by the other, and it falls as a passage's places fall (1/(60 + place) per list). Without embeddings it is
/// PostgreSQL's full-text rank (ts_rank_cd, about 0.1 per matching word, more for title words and words close together),
/// or the summed trigram similarity of the misspelt words when no word matched. Not comparable across questions.
/// </summary>
public sealed record KnowledgePassage(Guid DocumentId, string Title, string Text, double Rank);

public sealed record KnowledgeSummary(Guid Id, string Title, int Chunks, int Characters, DateTimeOffset CreatedAt, KnowledgeSource Source,
    string? SourceName, long SizeBytes, KnowledgeStatus Status, int Progress, bool Enabled, string? FailureCode, string? Failure);

/// <summary>One passage of a document, as stored (or, for a disabled document, as it would be split).</summary>
public sealed record KnowledgeChunkView(int Ordinal, string Text);

/// <summary>
/// The tenant's knowledge base (the context's tenant applies, by query filter and row-level security). Retrieval is
/// hybrid: PostgreSQL full-text search in Spanish and English over accent-free text, any query word counting (a
/// customer's question rarely repeats the passage's words), with a trigram fallback for misspellings; fused by
/// reciprocal rank with the passages nearest the question's embedding when an embedding model is configured (a
/// paraphrase shares the meaning, not the words). Passages without a vector yet are still found by their words.
/// </summary>
public sealed class KnowledgeBase(AppDbContext db, AgentProfiles profiles, TimeProvider clock, KnowledgeEmbeddings embeddings,
    IVectorIndex vectors, KnowledgeEmbeddingSignal embeddingSignal, ILogger<KnowledgeBase> log)
{
    /// <summary>The usual constant of reciprocal rank fusion (Cormack et al.): damps the weight of the very first places.</summary>
    public const int FusionK = 60;

    /// <summary>
    /// Each ranking is read only as deep as the answer (at least this many): deeper, a paraphrase's word matches are
    /// noise that also shows up among the meaning's lower places, and two low places outvote one first place in RRF
    /// (bench/retrieval --fusion-grid: paraphrases found in the top 3 fell from 81 % read 5 deep to 69 % read 20 deep).
    /// </summary>
    public const int FusionDepth = 5;

    private Guid TenantId => db.Tenant.TenantId ?? throw new InvalidOperationException("The knowledge base needs a tenant context.");

    /// <summary>The number of passages the agent's search_knowledge tool reads (the search box shows the same).</summary>
    public const int ToolPassages = 4;

    /// <param name="actor">Who added it, for the audit log (none for seeds and system writes).</param>
    public async Task<KnowledgeDocument> AddAsync(string? title, string? content, CancellationToken ct, KnowledgeActor? actor = null)
    {
        var document = KnowledgeDocument.Create(TenantId, title, content, clock.GetUtcNow());
        await KnowledgeSources.RequireRoomAsync(db, TenantId, document.SizeBytes, ct);
        db.KnowledgeDocuments.Add(document); // the document and its chunks in one SaveChanges (one transaction)
        if (actor is not null) db.AuditEntries.Add(KnowledgeSources.Audit(document, actor, "knowledge.added", document.CreatedAt));
        await db.SaveChangesAsync(ct);
        profiles.Forget(TenantId);
        embeddingSignal.Wake(); // its passages are due for a vector
        return document;
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct, KnowledgeActor? actor = null)
    {
        var document = await db.KnowledgeDocuments.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, ct);
        if (document is null) return false;
        var deleted = await db.KnowledgeDocuments.Where(d => d.Id == id).ExecuteDeleteAsync(ct) > 0;
        if (deleted && actor is not null)
        {
            db.AuditEntries.Add(KnowledgeSources.Audit(document, actor, "knowledge.deleted", clock.GetUtcNow(), KnowledgeSources.Snapshot(document)));
            await db.SaveChangesAsync(ct);
        }
        profiles.Forget(TenantId);
        return deleted;
    }

    /// <summary>Switches a document on or off; off, none of its passages can be retrieved. Null when there is no such document.</summary>
    public async Task<KnowledgeSummary?> SetEnabledAsync(Guid id, bool enabled, KnowledgeActor actor, CancellationToken ct)
    {
        var document = await db.KnowledgeDocuments.Include(d => d.Chunks).SingleOrDefaultAsync(d => d.Id == id, ct);
        if (document is null) return null;
        var before = KnowledgeSources.Snapshot(document);
        var now = clock.GetUtcNow();
        if (document.SetEnabled(enabled, now))
        {
            TrackNewChunks(db, document);
            db.AuditEntries.Add(KnowledgeSources.Audit(document, actor, enabled ? "knowledge.enabled" : "knowledge.disabled", now, before));
            await db.SaveChangesAsync(ct);
            profiles.Forget(TenantId);
        }
        return await GetAsync(id, ct);
    }

    /// <summary>
    /// Passages a tracked document has just split into are new rows: their ids are set by the domain, so EF, finding
    /// them through the navigation, would otherwise take them for existing rows and update nothing.
    /// </summary>
    internal static void TrackNewChunks(AppDbContext db, KnowledgeDocument document)
    {
        foreach (var chunk in document.Chunks)
        {
            var entry = db.Entry(chunk);
            if (entry.State == EntityState.Detached) entry.State = EntityState.Added;
        }
    }

    public async Task<IReadOnlyList<KnowledgeSummary>> ListAsync(CancellationToken ct) =>
        await Summaries(db.KnowledgeDocuments.AsNoTracking().OrderByDescending(d => d.CreatedAt)).ToListAsync(ct);

    public async Task<KnowledgeSummary?> GetAsync(Guid id, CancellationToken ct) =>
        await Summaries(db.KnowledgeDocuments.AsNoTracking().Where(d => d.Id == id)).SingleOrDefaultAsync(ct);

    private static IQueryable<KnowledgeSummary> Summaries(IQueryable<KnowledgeDocument> documents) =>
        documents.Select(d => new KnowledgeSummary(d.Id, d.Title, d.Chunks.Count, d.Content.Length, d.CreatedAt, d.Source, d.SourceName, d.SizeBytes,
            d.Status, d.Progress, d.Enabled, d.FailureCode, d.Failure));

    /// <summary>A document's passages in order; a disabled one shows how it would be split (it has none stored). Null when unknown.</summary>
    public async Task<IReadOnlyList<KnowledgeChunkView>?> ChunksAsync(Guid id, CancellationToken ct)
    {
        var document = await db.KnowledgeDocuments.AsNoTracking().Where(d => d.Id == id)
            .Select(d => new { d.Enabled, d.Status, d.Content }).SingleOrDefaultAsync(ct);
        if (document is null) return null;
        if (!document.Enabled && document.Status == KnowledgeStatus.Ready)
            return KnowledgeChunker.Split(document.Content).Select((text, i) => new KnowledgeChunkView(i, text)).ToList();
        return await db.KnowledgeChunks.AsNoTracking().Where(c => c.DocumentId == id).OrderBy(c => c.Ordinal)
            .Select(c => new KnowledgeChunkView(c.Ordinal, c.Text)).ToListAsync(ct);
    }

    private sealed record Row(Guid Id, Guid DocumentId, string Title, string Text, double Rank);

    public async Task<IReadOnlyList<KnowledgePassage>> SearchAsync(string query, int limit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(query)) return [];
        query = query.Length > 1000 ? query[..1000] : query;
        limit = Math.Clamp(limit, 1, 20);
        if (!embeddings.IsEnabled) return Passages(await ByWordsAsync(query, limit, ct));

        var depth = Math.Max(limit, FusionDepth);
        var byWords = await ByWordsAsync(query, depth, ct);
        IReadOnlyList<VectorHit> byMeaning;
        try
        {
            var vector = (await embeddings.EmbedAsync(TenantId, [query], ct))[0];
            byMeaning = (await vectors.NearestAsync(db, vector, embeddings.Model, depth, ct))
                .Where(h => h.Similarity > 0).ToList(); // shares nothing with the question: not a candidate
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The customer still gets an answer from the words when the embedding endpoint fails.
            log.LogWarning(ex, "Embedding a knowledge question failed; retrieving by words only");
            return Passages(byWords.Take(limit).ToList());
        }
        if (byMeaning.Count == 0) return Passages(byWords.Take(limit).ToList());

        var known = byWords.ToDictionary(r => r.Id);
        var missing = byMeaning.Select(h => h.ChunkId).Where(id => !known.ContainsKey(id)).ToList();
        if (missing.Count > 0)
            foreach (var c in await db.KnowledgeChunks.AsNoTracking().Where(c => missing.Contains(c.Id))
                         .Select(c => new { c.Id, c.DocumentId, c.Title, c.Text }).ToListAsync(ct))
                known[c.Id] = new Row(c.Id, c.DocumentId, c.Title, c.Text, 0);
        var fused = Fuse(byWords.Select(r => r.Id).ToList(), byMeaning.Select(h => h.ChunkId).ToList());
        return fused.Where(f => known.ContainsKey(f.Id)).Take(limit)
            .Select(f => known[f.Id] with { Rank = f.Score }).Select(r => new KnowledgePassage(r.DocumentId, r.Title, r.Text, r.Rank)).ToList();
    }

    /// <summary>
    /// Reciprocal rank fusion of ranked lists of passage ids: each list gives a passage 1/(k + place), and the sum is
    /// scaled so that first in every list is 1. Ties keep the first list's order (words first: they are exact).
    /// </summary>
    public static IReadOnlyList<(Guid Id, double Score)> Fuse(params IReadOnlyList<Guid>[] rankings)
    {
        var scores = new Dictionary<Guid, (double Score, int Order)>();
        var order = 0;
        foreach (var ranking in rankings)
            for (var place = 0; place < ranking.Count; place++)
            {
                var id = ranking[place];
                var share = 1.0 / (FusionK + place + 1);
                scores[id] = scores.TryGetValue(id, out var s) ? (s.Score + share, s.Order) : (share, order++);
            }
        var best = rankings.Length / (FusionK + 1.0);
        return scores.OrderByDescending(kv => kv.Value.Score).ThenBy(kv => kv.Value.Order)
            .Select(kv => (kv.Key, kv.Value.Score / best)).ToList();
    }

    private static IReadOnlyList<KnowledgePassage> Passages(IReadOnlyList<Row> rows) =>
        rows.Select(r => new KnowledgePassage(r.DocumentId, r.Title, r.Text, r.Rank)).ToList();

    /// <summary>Today's retrieval by words: full-text in Spanish and English, or trigrams when no word matched.</summary>
    private async Task<IReadOnlyList<Row>> ByWordsAsync(string query, int limit, CancellationToken ct)
    {
        var tenant = TenantId;
        var found = await db.Database.SqlQuery<Row>($"""
            WITH words AS (
                SELECT DISTINCT lexeme FROM unnest(to_tsvector('spanish', f_unaccent({query})) || to_tsvector('english', f_unaccent({query})))
            ), q AS (
                SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) AS query FROM words
            )
            SELECT c.id, c.document_id, c.title, c.text, ts_rank_cd(c.search_vector, q.query)::float8 AS rank
            FROM knowledge_chunks c, q
            WHERE c.tenant_id = {tenant} AND q.query IS NOT NULL AND c.search_vector @@ q.query
            ORDER BY rank DESC, c.ordinal
            LIMIT {limit}
            """).ToListAsync(ct);
        if (found.Count > 0) return found;

        // Nothing matched word for word ("limpiesa", "horarios?"): the closest words by trigrams, if close enough.
        var words = CustomerLanguage.Words(query).Where(w => w.Length >= 4).Distinct().Take(12).ToArray();
        if (words.Length == 0) return [];
        return await db.Database.SqlQuery<Row>($"""
            SELECT c.id, c.document_id, c.title, c.text, s.rank
            FROM knowledge_chunks c
            CROSS JOIN LATERAL (
                SELECT sum(word_similarity(w, f_unaccent(lower(c.title || ' ' || c.text))))::float8 AS rank,
                       max(word_similarity(w, f_unaccent(lower(c.title || ' ' || c.text)))) AS best
                FROM unnest({words}::text[]) AS w) s
            WHERE c.tenant_id = {tenant} AND s.best >= 0.6
            ORDER BY s.rank DESC, c.ordinal
            LIMIT {limit}
            """).ToListAsync(ct);
    }
}
