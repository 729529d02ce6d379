namespace Shrink.Data;

/// <summary>How <see cref="DerivedInputsDataSource"/> fills in a model input the data does not give.</summary>
internal enum DerivedInput
{
    /// <summary>Not derivable: the data must give it.</summary>
    None,

    /// <summary>All ones: every token attended to.</summary>
    Mask,

    /// <summary>All zeros: one segment.</summary>
    TokenTypes,

    /// <summary>0, 1, ..., seq-1 along the last axis.</summary>
    Positions,
}
