//! The builder methods every estimator shares, written once.

/// With `pub struct Name,` first (after its doc comment), also defines the estimator type:
/// `Debug + Clone + Default`, fields `params` and `comm`.
///
/// Implements, for an estimator type with fields `params` and `comm: Option<Comm>` (and
/// `Default`), `with_params`, `comm`, `params`, and one consuming setter per listed parameter
/// (each setting the field of that name, with the doc comment given); with `new = "doc"`, also
/// `new()`, the defaults.
macro_rules! builder {
    (
        $(#[$meta:meta])*
        pub struct $estimator:ident,
        $params:ident { $($fields:tt)* } $(, new = $new_doc:literal)? $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default)]
        pub struct $estimator {
            params: $params,
            comm: Option<spmd_comm::Comm>,
        }

        $crate::builder::builder!($estimator, $params { $($fields)* } $(, new = $new_doc)?);
    };
    ($estimator:ty, $params:ty { $( $(#[$doc:meta])* $name:ident: $value:ty ),* $(,)? } $(, new = $new_doc:literal)?) => {
        impl $estimator {
            $(
                #[doc = $new_doc]
                pub fn new() -> Self {
                    Self::default()
                }
            )?

            /// From parameters (as read from a model file or the command line).
            pub fn with_params(params: $params) -> Self {
                Self {
                    params,
                    ..Self::default()
                }
            }

            /// The ranks that fit together; `Comm::world()` by default.
            pub fn comm(mut self, comm: spmd_comm::Comm) -> Self {
                self.comm = Some(comm);
                self
            }

            /// The parameters.
            pub fn params(&self) -> &$params {
                &self.params
            }

            $(
                $(#[$doc])*
                pub fn $name(mut self, $name: $value) -> Self {
                    self.params.$name = $name;
                    self
                }
            )*
        }
    };
}

pub(crate) use builder;
