// `express4` is the npm alias of express@4 (a dev dependency); typed as the installed @types/express.
declare module 'express4' {
  import express from 'express';
  export default express;
}
