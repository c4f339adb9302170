/// Declares a control's type and metadata. The doc comment becomes the control's
/// documentation, so `palisade explain` and the rustdoc can never disagree.
///
/// ```ignore
/// declare_control! {
///     /// ## What it checks
///     /// …
///     pub struct Privileged {
///         id: "POD-001",
///         title: "Privileged container",
///         …
///     }
/// }
/// ```
macro_rules! declare_control {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident {
            $($field:ident : $value:expr),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $name;

        impl $crate::control::Described for $name {
            const META: palisade_core::ControlMeta = palisade_core::ControlMeta {
                doc: concat!($($doc, "\n"),*),
                $($field: $value),*
            };
        }
    };
}
