using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

public sealed record KnowledgePassage(Guid DocumentId, string Title, string Text, double Rank);

// TEMPORARY placeholder with the knowledge engineer's contract; replaced by the real implementation at merge.
public sealed class KnowledgeBase(AppDbContext db)
{
    public AppDbContext Db { get; } = db;

    public Task<IReadOnlyList<KnowledgePassage>> SearchAsync(string query, int limit, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<KnowledgePassage>>([]);
}
