namespace OperatorConsole.App.Resources;

/// <summary>Marker for the shared UI strings (SharedResource.resx = English, SharedResource.es.resx = Spanish).</summary>
public sealed class SharedResource;
