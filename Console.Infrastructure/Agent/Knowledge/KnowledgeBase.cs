using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

public sealed record KnowledgePassage(Guid DocumentId, string Title, string Text, double Rank);

public sealed record KnowledgeSummary(Guid Id, string Title, int Chunks, int Characters, DateTimeOffset CreatedAt);

/// <summary>
/// The tenant's knowledge base (the context's tenant applies, by query filter and row-level security). Retrieval is
/// PostgreSQL full-text search in Spanish and English over accent-free text, any query word counting (a customer's
/// question rarely repeats the passage's words), with a trigram fallback for misspellings.
/// </summary>
public sealed class KnowledgeBase(AppDbContext db, AgentProfiles profiles, TimeProvider clock)
{
    private Guid TenantId => db.Tenant.TenantId ?? throw new InvalidOperationException("The knowledge base needs a tenant context.");

    public async Task<KnowledgeDocument> AddAsync(string? title, string? content, CancellationToken ct)
    {
        var document = KnowledgeDocument.Create(TenantId, title, content, clock.GetUtcNow());
        db.KnowledgeDocuments.Add(document); // the document and its chunks in one SaveChanges (one transaction)
        await db.SaveChangesAsync(ct);
        profiles.Forget(TenantId);
        return document;
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct)
    {
        var deleted = await db.KnowledgeDocuments.Where(d => d.Id == id).ExecuteDeleteAsync(ct) > 0;
        profiles.Forget(TenantId);
        return deleted;
    }

    public async Task<IReadOnlyList<KnowledgeSummary>> ListAsync(CancellationToken ct) =>
        await db.KnowledgeDocuments.AsNoTracking().OrderBy(d => d.Title)
            .Select(d => new KnowledgeSummary(d.Id, d.Title, d.Chunks.Count, d.Content.Length, d.CreatedAt)).ToListAsync(ct);

    public async Task<IReadOnlyList<KnowledgePassage>> SearchAsync(string query, int limit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(query)) return [];
        query = query.Length > 1000 ? query[..1000] : query;
        var tenant = TenantId;
        limit = Math.Clamp(limit, 1, 20);
        var found = await db.Database.SqlQuery<KnowledgePassage>($"""
            WITH words AS (
                SELECT DISTINCT lexeme FROM unnest(to_tsvector('spanish', f_unaccent({query})) || to_tsvector('english', f_unaccent({query})))
            ), q AS (
                SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) AS query FROM words
            )
            SELECT c.document_id, c.title, c.text, ts_rank_cd(c.search_vector, q.query)::float8 AS rank
            FROM knowledge_chunks c, q
            WHERE c.tenant_id = {tenant} AND q.query IS NOT NULL AND c.search_vector @@ q.query
            ORDER BY rank DESC, c.ordinal
            LIMIT {limit}
            """).ToListAsync(ct);
        if (found.Count > 0) return found;

        // Nothing matched word for word ("limpiesa", "horarios?"): the closest words by trigrams, if close enough.
        var words = CustomerLanguage.Words(query).Where(w => w.Length >= 4).Distinct().Take(12).ToArray();
        if (words.Length == 0) return [];
        return await db.Database.SqlQuery<KnowledgePassage>($"""
            SELECT c.document_id, c.title, c.text, s.rank
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
