namespace OperatorConsole.App.Hosting;

public static class AppPaths
{
    /// <summary>The folder holding Console.sln (repository root) when running from a checkout, else the app's folder.</summary>
    public static string ContentRoot { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Console.sln"))) return dir.FullName;
        }
        return AppContext.BaseDirectory;
    }
}
