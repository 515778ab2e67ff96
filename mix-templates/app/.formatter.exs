[inputs: ["{mix,.formatter,kos}.exs", "{config,lib,test}/**/*.{ex,exs}"]]
