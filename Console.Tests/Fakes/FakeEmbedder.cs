using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace OperatorConsole.Tests.Fakes;

/// <summary>
/// A deterministic stand-in for an embedding model, used by <see cref="FakeLlm"/>'s <c>/v1/embeddings</c> and, linked
/// as source, by the retrieval benchmark (bench/retrieval). What it does, in order:
/// 1. lower-case, strip accents, split into letter/digit words; drop Spanish and English stop words and bare numbers;
/// 2. stem each word to its first five letters ("limpieza", "limpiar" → "limpi");
/// 3. map the stem through a small synonym table of concepts (below), so a paraphrase lands on the same coordinates
///    as the words it replaces ("cobran", "charge", "precio", "price" → one concept) — across the two languages too;
/// 4. hash each concept (or the bare stem) with FNV-1a into one of <see cref="Dimensions"/> coordinates with a hashed
///    sign, count occurrences, and scale to unit length. Cosine similarity is then the overlap of concepts.
/// It knows only the words in its table, which was written with the benchmark's corpus in view: its figures show that
/// fusion lifts paraphrases when the embedder catches them, not how good a real model is (run the bench with a key).
/// </summary>
public sealed class FakeEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimensions = 512;
    public const string ModelName = "fake-hashed-concepts";

    private static readonly HashSet<string> StopWords = new(("""
        a al algo alguna alguno algunas algunos ante con contra cual cuales cuando de del desde donde durante e el
        ella ellos en entre era es esa ese eso esta este esto estos hay hasta la las le les lo los me mi mis muy mas no nos
        o os para pero por que quien se sea si sin sobre son su sus te tiene tienen tu tus un una unas uno unos y ya yo va
        voy puedo puede debo hago hacer como cuanto cuanta
        an and any are as at be by can do does for from get how i if in is it its me my of on or our so some that the their
        them then there they this to up us we what when who will with you your about all much should s t off
        """).Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(Fold));

    // One line per concept: every word's stem maps to the line's first word. Aspects, then the businesses' vocabulary.
    private const string Concepts = """
        precio cobran cobrar costo cuesta price charge cost fee
        duracion dura tiempo lleva minutos duration lasts last long afternoon take minutes
        previo antes preparar before ready earlier prepare
        despues terminar recomendaciones cuidados after once done tips care
        agendar reservo reservar espacio cita anticipacion book reserve slot appointment ahead
        cancelar cancelaciones arrepiento cancelling cancel call
        apto persona cualquier suitable anybody anyone age
        dolor molestia lastimar duele painless pain hurt uncomfortable
        resultados efecto notar visibles results difference notice visible
        promocion descuento oferta rebaja deal discount sale
        limpieza cleaning sarro tartar scraped
        blanqueamiento whitening aclarar color yellowish brighter
        ortodoncia aligners enderezar chuecos straightening crooked
        implante implant reponer perdi replacing missing
        endodoncia root canal nervio infectado nerve infected
        extraccion juicio wisdom extraction saquen cordal third pulled
        carillas porcelana porcelain veneers fundas delgadas shells thin
        resina composite filling tapar caries cavity
        odontopediatria pediatric dentistry consulta checkup
        hijo pequeno ninos children kid little son
        guarda nocturna night guard protector rechino dormir grinding sleep
        masaje massage rubdown terapia therapy
        relajante relaxing soltar tension espalda ease back
        piedras stone rocas rocks
        calientes caliente hot tibias warm
        facial hidratante hydrating piel reseca rostro skin dry face
        depilacion cera waxing vello piernas removing leg hair
        manicura manicure manos fingernails
        pedicura pedicure pies foot
        envoltura corporal chocolate wrap cacao cocoa cuerpo body whole figure
        hidroterapia hydrotherapy circuito circuit albercas pools agua water fria cold
        prenatal embarazadas pregnant
        paquete parejas couples package novio boyfriend
        examen exam revisar checking test testing
        vista eye veo see sight visual vision ojo eyeball eyesight
        lentes lenses lens glasses anteojos specs gafas micas
        contacto contact blandas soft discs worn
        progresivos progressive cerca lejos near far
        armazones armazon frames frame monturas rims eyewear
        disenador designer marca branded
        sol graduados sunglasses prescription oscuras dark shades medida matched
        ajuste adjustment acomoden flojos tightening loose
        reparacion repair arreglar rotos fixing broken
        filtro luz azul blue light pantalla computadora screens staring
        ultrasonica ultrasonic nuevos new again
        """;

    private static readonly Dictionary<string, string> ConceptOf = BuildConcepts();

    private static Dictionary<string, string> BuildConcepts()
    {
        var map = new Dictionary<string, string>();
        foreach (var line in Concepts.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var w in words) map.TryAdd(Stem(w), "#" + Stem(words[0]));
        }
        return map;
    }

    /// <summary>The unit vector of <paramref name="text"/>; the same text always gives the same vector.</summary>
    public static float[] Embed(string text)
    {
        var vector = new float[Dimensions];
        foreach (var token in Tokens(text))
        {
            var hash = Fnv1a(ConceptOf.TryGetValue(token, out var concept) ? concept : token);
            vector[hash % Dimensions] += (hash & 0x8000_0000) == 0 ? 1f : -1f;
        }
        var norm = MathF.Sqrt(vector.Sum(x => x * x));
        if (norm > 0) for (var i = 0; i < vector.Length; i++) vector[i] /= norm;
        return vector;
    }

    /// <summary>What the fake counts as tokens for usage: words, as a model would count roughly.</summary>
    public static int CountTokens(string text) => text.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Length;

    public static IEnumerable<string> Tokens(string text)
    {
        var folded = Fold(text);
        var word = new StringBuilder();
        for (var i = 0; i <= folded.Length; i++)
        {
            if (i < folded.Length && char.IsAsciiLetterOrDigit(folded[i]))
            {
                word.Append(folded[i]);
                continue;
            }
            if (word.Length == 0) continue;
            var w = word.ToString();
            word.Clear();
            if (StopWords.Contains(w) || w.All(char.IsAsciiDigit)) continue;
            yield return Stem(w);
        }
    }

    private static string Stem(string word)
    {
        word = Fold(word);
        return word.Length > 5 ? word[..5] : word;
    }

    private static string Fold(string text)
    {
        var decomposed = text.ToLowerInvariant().Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(c);
        return sb.ToString();
    }

    private static uint Fnv1a(string s)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(s)) hash = (hash ^ b) * 16777619u;
        return hash;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var texts = values.ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Select(t => new Embedding<float>(Embed(t)) { ModelId = ModelName }))
        {
            Usage = new UsageDetails { InputTokenCount = texts.Sum(CountTokens), TotalTokenCount = texts.Sum(CountTokens) },
        };
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }
}
