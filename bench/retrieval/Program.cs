// Retrieval benchmark: recall@3 and MRR@10 of the knowledge base's full-text, embedding and hybrid retrieval over a
// 300-passage FAQ corpus (three fictitious businesses, Spanish and English) and 200 questions with their expected
// passage, half of them paraphrased so they share none of the passage's content words (make_corpus.py). Run it with
// bench/retrieval.sh. Loads the passages through KnowledgeBase, embeds them with the embedding worker's own code, and
// searches in-process as the serving role (row-level security on). The fake embedder (Console.Tests/Fakes/FakeEmbedder.cs)
// is used unless Llm__ApiKey and Llm__EmbeddingModel are set in the environment.
using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using OperatorConsole.Infrastructure;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Tests.Fakes;

var admin = Arg("--admin", "Host=127.0.0.1;Port=55547;Username=postgres;Password=postgres;Database=console_bench");
var owner = Arg("--owner", "Host=127.0.0.1;Port=55547;Username=console_owner;Password=console_owner;Database=console_bench");
var app = Arg("--app", "Host=127.0.0.1;Port=55547;Username=console_app;Password=console_app;Database=console_bench");
var json = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
var corpus = JsonSerializer.Deserialize<List<Passage>>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "corpus.json")), json)!;
var questions = JsonSerializer.Deserialize<List<QuestionRow>>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "questions.json")), json)!
    .Select(q => new Question(q.Question, q.Expected, q.Kind, q.Lang)).ToList();

Console.WriteLine("Migrating…");
await DatabaseInitializer.MigrateAsync(owner, app);
var tenantId = Guid.NewGuid();
await using (var conn = new NpgsqlConnection(admin))
{
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand($"""
        INSERT INTO tenants (id, name, slug, plan, status, bot_enabled, time_zone, default_culture, created_at)
        VALUES ('{tenantId}', 'Bench Retrieval', 'bench-retrieval-{tenantId.ToString("N")[..8]}', 'Pro', 'Active', true, 'America/Mexico_City', 'es', now())
        """, conn);
    await cmd.ExecuteNonQueryAsync();
}

var config = new ConfigurationBuilder()
    .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Default"] = app, ["Platform:PublicBaseUrl"] = "http://localhost" })
    .AddEnvironmentVariables()
    .Build();
var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(config);
services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new BenchEnvironment());
services.AddConsoleInfrastructure(config);
var llm = config.GetSection("Llm").Get<LlmOptions>() ?? new LlmOptions();
var real = !string.IsNullOrWhiteSpace(llm.ApiKey) && !string.IsNullOrWhiteSpace(llm.EmbeddingModel);
if (!real) services.AddSingleton(new KnowledgeEmbeddings(new FakeEmbedder(), FakeEmbedder.ModelName));
await using var provider = services.BuildServiceProvider();
var scopes = provider.GetRequiredService<ContextScopes>();
var embeddings = provider.GetRequiredService<KnowledgeEmbeddings>();
var index = provider.GetRequiredService<IVectorIndex>();
var wordsOnly = new KnowledgeEmbeddings(provider.GetRequiredService<LlmGateway>(), Options.Create(new LlmOptions { EmbeddingModel = "" }));
Console.WriteLine($"Embeddings: {(real ? $"{llm.EmbeddingModel} at {llm.Endpoint}" : $"{FakeEmbedder.ModelName} (deterministic fake, {FakeEmbedder.Dimensions} dimensions)")}");

var watch = Stopwatch.StartNew();
var idOfText = new Dictionary<string, string>();
await using (var work = scopes.ForTenant(tenantId))
{
    var kb = work.Services.GetRequiredService<KnowledgeBase>();
    foreach (var p in corpus)
    {
        var document = await kb.AddAsync(p.Title, p.Text, default);
        if (document.Chunks.Count != 1) throw new InvalidOperationException($"{p.Id} became {document.Chunks.Count} passages");
        idOfText[document.Chunks.First().Text] = p.Id;
    }
}
Console.WriteLine($"Loaded {corpus.Count} passages in {watch.Elapsed.TotalSeconds:N1} s.");
watch.Restart();
var worker = ActivatorUtilities.CreateInstance<KnowledgeEmbeddingWorker>(provider);
while (await worker.RunOnceAsync(default) > 0) { }
Console.WriteLine($"Embedded them in {watch.Elapsed.TotalSeconds:N1} s.");

// Each search runs twice: for recall@3 with the agent's own limit (3 passages per turn, as the agent retrieves), and for
// MRR@10 with a limit of 10.
var modes = new (string Name, Func<string, int, Task<List<string>>> Search)[]
{
    ("full-text", (q, limit) => SearchAsync(q, wordsOnly, limit)),
    ("embeddings", async (q, limit) =>
    {
        await using var work = scopes.ForTenant(tenantId);
        var vector = (await embeddings.EmbedAsync(tenantId, [q], default))[0];
        var hits = await index.NearestAsync(work.Db, vector, embeddings.Model, limit, default);
        var ids = hits.Select(h => h.ChunkId).ToList();
        var texts = await work.Db.KnowledgeChunks.Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Text);
        return hits.Select(h => idOfText[texts[h.ChunkId]]).ToList();
    }),
    ("hybrid", (q, limit) => SearchAsync(q, embeddings, limit)),
};

Console.WriteLine();
Console.WriteLine($"{corpus.Count} passages, {questions.Count} questions; recall@3 (limit 3, as the agent asks) / MRR@10 (limit 10); p50 ms per question");
var kinds = new (string Name, Func<Question, bool> Filter)[]
{
    ("all", _ => true), ("literal", q => q.Kind == "literal"), ("paraphrase", q => q.Kind == "paraphrase"),
    ("Spanish", q => q.Lang == "es"), ("English", q => q.Lang == "en"),
};
Console.WriteLine($"{"mode",-12}" + string.Concat(kinds.Select(k => $" {k.Name + $" ({questions.Count(k.Filter)})",-20}")) + " p50 ms");
foreach (var (name, search) in modes)
{
    var places = new Dictionary<Question, int>();
    var inTopThree = new Dictionary<Question, bool>();
    var times = new List<double>();
    foreach (var q in questions)
    {
        var started = Stopwatch.StartNew();
        inTopThree[q] = (await search(q.Text, AgentEngine.PassagesPerTurn)).Contains(q.Expected);
        times.Add(started.Elapsed.TotalMilliseconds);
        places[q] = (await search(q.Text, 10)).IndexOf(q.Expected) + 1; // 0 = not in the top 10
    }
    times.Sort();
    var cells = kinds.Select(k =>
    {
        var subset = questions.Where(k.Filter).Select(q => places[q]).ToList();
        var recall = questions.Where(k.Filter).Count(q => inTopThree[q]) / (double)subset.Count;
        var mrr = subset.Sum(p => p > 0 ? 1.0 / p : 0) / subset.Count;
        return $" {$"{recall:P0} / {mrr:N3}",-20}";
    });
    Console.WriteLine($"{name,-12}" + string.Concat(cells) + $" {times[times.Count / 2]:N1}");
}

if (args.Contains("--fusion-grid"))
{
    // Which fusion constant and candidate depth suit this corpus: both rankings read once, fused here with each setting.
    var lists = new List<(Question Q, List<string> Words, List<string> Meaning)>();
    foreach (var q in questions)
    {
        await using var work = scopes.ForTenant(tenantId);
        var vector = (await embeddings.EmbedAsync(tenantId, [q.Text], default))[0];
        var hits = (await index.NearestAsync(work.Db, vector, embeddings.Model, 20, default)).Where(h => h.Similarity > 0).ToList();
        var ids = hits.Select(h => h.ChunkId).ToList();
        var texts = await work.Db.KnowledgeChunks.Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Text);
        lists.Add((q, await SearchAsync(q.Text, wordsOnly, 20), hits.Select(h => idOfText[texts[h.ChunkId]]).ToList()));
    }
    foreach (var k in new[] { 60, 20, 10, 5, 1 })
    foreach (var depth in new[] { 20, 10, 5, 3 })
    {
        var places = lists.Select(l =>
        {
            var score = new Dictionary<string, double>();
            foreach (var list in new[] { l.Words, l.Meaning })
                for (var i = 0; i < Math.Min(depth, list.Count); i++)
                    score[list[i]] = score.GetValueOrDefault(list[i]) + 1.0 / (k + i + 1);
            var order = score.OrderByDescending(kv => kv.Value).Select(kv => kv.Key).ToList();
            return (l.Q, Place: order.IndexOf(l.Q.Expected) + 1);
        }).ToList();
        string Cell(Func<Question, bool> f)
        {
            var subset = places.Where(p => f(p.Q)).Select(p => p.Place).ToList();
            return $"{subset.Count(p => p is > 0 and <= 3) / (double)subset.Count:P0} / {subset.Sum(p => p > 0 ? 1.0 / p : 0) / subset.Count:N3}";
        }
        Console.WriteLine($"k={k,-3} depth={depth,-3} all {Cell(_ => true),-16} literal {Cell(q => q.Kind == "literal"),-16} paraphrase {Cell(q => q.Kind == "paraphrase")}");
    }
}

async Task<List<string>> SearchAsync(string question, KnowledgeEmbeddings source, int limit = 10)
{
    await using var work = scopes.ForTenant(tenantId);
    var kb = ActivatorUtilities.CreateInstance<KnowledgeBase>(work.Services, source);
    return (await kb.SearchAsync(question, limit, default)).Select(p => idOfText[p.Text]).ToList();
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

sealed record Passage(string Id, string Lang, string Title, string Text);

sealed record Question(string Text, string Expected, string Kind, string Lang);

sealed record QuestionRow(string Question, string Expected, string Kind, string Lang);

sealed class BenchEnvironment : Microsoft.Extensions.Hosting.IHostEnvironment
{
    public string EnvironmentName { get; set; } = "Production";
    public string ApplicationName { get; set; } = "bench";
    public string ContentRootPath { get; set; } = Path.GetTempPath();
    public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
}
