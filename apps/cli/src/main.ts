import { X } from '@vsnet/model';
console.log(X);
